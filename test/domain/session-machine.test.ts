import { describe, expect, it } from 'vitest';
import { initialBreaker, isOpen, trip, type BreakerState, type TripCause } from '../../domain/circuit-breaker';
import { keyAuditResultMessage, type KeyAuditResultMessage } from '../../domain/key-audit';
import { SESSION_EVENT_TYPES, transition, type SessionControl, type SessionEffect, type SessionEvent } from '../../domain/session-machine';
import { mayPlace, tradingState, type TradingState } from '../../domain/trading-state';
import { testClock } from '../helpers/clock';

const now = testClock().toISOString();
const later = new Date(Date.parse(now) + 60_000).toISOString();
const open = (by: TripCause): BreakerState => trip(initialBreaker(), by, `${by} test`, now);

const clean: KeyAuditResultMessage = keyAuditResultMessage('audit-clean', later, []);
const critical: KeyAuditResultMessage = { auditId: 'audit-bad', at: later, critical: true, findings: [{ key: 'trading', severity: 'CRITICAL', code: 'withdraw_enabled', message: 'key can withdraw' }] };

/** Every control state the session can hold (and some it cannot), to run every event against. */
function allStates(): SessionControl[] {
  const out: SessionControl[] = [];
  const breakers: BreakerState[] = [initialBreaker(), { ...initialBreaker(), consecutiveFailures: 4 }, open('manual'), open('auth'), open('incident'), open('key_audit'), open('exchange_failures'), open('daily_loss')];
  for (const mode of ['trading', 'paused', 'stopped'] as const)
    for (const breaker of breakers)
      for (const rebalancing of [undefined, 'rebalance/x/1'])
        for (const isolation of [undefined, { incidents: ['incident/a'], reason: 'sev1', at: now }, { incidents: ['incident/a', 'incident/b'], reason: 'sev1', at: now }])
          for (const stopRequested of [false, true])
            for (const cancelPending of [undefined, { by: 'op', reason: 'stop' }])
              out.push({ mode, breaker, keyAudit: {}, rebalancing, isolation, stopRequested, cancelPending });
  return out;
}

/** Every event, in each variant that takes a different path. */
const EVENTS: SessionEvent[] = [
  { type: 'exchange_failed', kind: 'auth' },
  { type: 'exchange_failed', kind: 'retryable', threshold: 5 },
  { type: 'exchange_failed', kind: 'retryable', threshold: 5, legacyRetrip: true },
  { type: 'read_succeeded' },
  { type: 'loss_limit', rule: 'daily_loss', reason: 'daily loss 6% over 5%' },
  { type: 'loss_limit', rule: 'max_drawdown', reason: 'drawdown 11% over 10%' },
  { type: 'force_open', by: 'op', reason: 'drill' },
  { type: 'key_audit', result: clean },
  { type: 'key_audit', result: critical },
  { type: 'pause', by: 'op', reason: 'lunch' },
  { type: 'resume', by: 'op', reason: 'back' },
  { type: 'resume', by: 'incident/a', reason: 'recovered', approvedIncident: 'incident/a' },
  { type: 'stop' },
  { type: 'cancels_unconfirmed', stop: { by: 'op', reason: 'stop' } },
  { type: 'cancels_confirmed' },
  { type: 'isolate', incident: 'incident/c', reason: 'sev1', attributed: true },
  { type: 'isolate', incident: 'unattributed', reason: 'sev1', attributed: false },
  { type: 'low_balance', warmBalanceUsd: 10 },
  { type: 'rebalance_started', id: 'rebalance/x/1', detail: 'low' },
  { type: 'rebalance_ended', id: 'rebalance/x/1', by: 'op' },
  { type: 'rebalance_ended', id: 'rebalance/x/1', by: 'op', outcome: 'timed_out' },
  { type: 'rebalance_ended', id: 'rebalance/other/9', by: 'op' },
];

const kinds = (effects: SessionEffect[]) => effects.map((e) => e.type);
const state = (c: SessionControl): TradingState => tradingState(c).state;

describe('the session state machine: every event from every state', () => {
  const states = allStates();
  it('the events listed cover every event type', () => {
    expect(new Set(EVENTS.map((e) => e.type))).toEqual(new Set(SESSION_EVENT_TYPES));
  });

  it.each(EVENTS.map((e) => [`${e.type} ${JSON.stringify(e).slice(0, 80)}`, e] as const))('%s', (_name, event) => {
    for (const before of states) {
      const { state: after, effects } = transition(before, event, later);
      const where = `${JSON.stringify(before)} --${event.type}-->`;
      // Only an operator's resume closes the breaker, lifts an isolation or undoes a stop.
      if (event.type !== 'resume') {
        if (isOpen(before.breaker)) expect(isOpen(after.breaker), where).toBe(true);
        if (before.isolation) expect(after.isolation?.incidents ?? [], where).toEqual(expect.arrayContaining(before.isolation.incidents));
        if (before.stopRequested) expect(after.stopRequested, where).toBe(true);
        if (before.mode === 'stopped') expect(after.mode, where).toBe('stopped');
      }
      // A breaker opening always halts (audit, cancel unless the key is gone, alert); nothing else halts but the legacy re-trip.
      const halts = effects.filter((e) => e.type === 'halt');
      const opened = !isOpen(before.breaker) && isOpen(after.breaker);
      if (event.type === 'isolate') expect(halts, where).toEqual([]);
      else if (opened) expect(halts, where).toHaveLength(1);
      else if (!(event.type === 'exchange_failed' && event.legacyRetrip && isOpen(before.breaker))) expect(halts, where).toEqual([]);
      for (const h of halts) expect(h.type === 'halt' && h.cancel, where).toBe(h.type === 'halt' && h.cause !== 'auth');
      // Nothing makes a session that could not place able to, but a resume or a rebalance's completion.
      if (!mayPlace(before) && mayPlace(after)) expect(['resume', 'rebalance_ended'], where).toContain(event.type);
      // After a stop nothing is placed, whatever else held.
      if (event.type === 'stop') expect(['stopped', 'isolated'], where).toContain(state(after));
      // The key-audit history only ever moves forward.
      if (event.type === 'key_audit') expect(after.keyAudit.last?.auditId, where).toBe(event.result.auditId);
    }
  });
});

describe('the transition table from an active session', () => {
  const active: SessionControl = { mode: 'trading', breaker: initialBreaker(), keyAudit: {}, stopRequested: false };
  const rows: Array<[SessionEvent, TradingState, SessionEffect['type'][]]> = [
    [{ type: 'exchange_failed', kind: 'auth' }, 'halted', ['halt']],
    [{ type: 'exchange_failed', kind: 'retryable', threshold: 5 }, 'active', []],
    [{ type: 'exchange_failed', kind: 'retryable', threshold: 1 }, 'halted', ['halt']],
    [{ type: 'read_succeeded' }, 'active', []],
    [{ type: 'loss_limit', rule: 'daily_loss', reason: 'x' }, 'halted', ['halt']],
    [{ type: 'force_open', by: 'op', reason: 'x' }, 'halted', ['halt', 'wake']],
    [{ type: 'key_audit', result: clean }, 'active', []],
    [{ type: 'key_audit', result: critical }, 'halted', ['wake', 'halt']],
    [{ type: 'pause', by: 'op', reason: 'x' }, 'reducing', ['session_event']],
    [{ type: 'resume', by: 'op', reason: 'x' }, 'active', ['wake', 'session_event']],
    [{ type: 'stop' }, 'stopped', []],
    [{ type: 'cancels_unconfirmed', stop: { by: 'op', reason: 'x' } }, 'active', ['wake']],
    [{ type: 'isolate', incident: 'incident/a', reason: 'x', attributed: true }, 'isolated', []],
    [{ type: 'low_balance', warmBalanceUsd: 10 }, 'reducing', ['start_rebalance']],
    [{ type: 'rebalance_started', id: 'rb', detail: 'x' }, 'active', ['session_event']],
  ];
  it.each(rows.map(([e, s, fx]) => [e.type, e, s, fx] as const))('%s', (_n, event, expected, effects) => {
    const t = transition(active, event, later);
    expect(state(t.state)).toBe(expected);
    expect(kinds(t.effects)).toEqual(effects);
  });

  it('halts name their cause: a daily loss alerts as such, an auth failure cancels nothing (the key is gone)', () => {
    const loss = transition(active, { type: 'loss_limit', rule: 'daily_loss', reason: 'x' }, later).effects[0];
    expect(loss).toMatchObject({ type: 'halt', cause: 'daily_loss', alert: 'daily_loss_limit', cancel: true });
    const auth = transition(active, { type: 'exchange_failed', kind: 'auth' }, later).effects[0];
    expect(auth).toMatchObject({ type: 'halt', cause: 'auth', alert: 'circuit_breaker_triggered', cancel: false });
    const forced = transition(active, { type: 'force_open', by: 'op-7', reason: 'drill' }, later).effects[0];
    expect(forced).toMatchObject({ type: 'halt', cause: 'manual', by: 'op-7' });
  });

  it('a breaker already open halts once: later failures count, but audit, cancel and alert do not run again', () => {
    const halted = transition(active, { type: 'exchange_failed', kind: 'retryable', threshold: 1 }, now).state;
    const again = transition(halted, { type: 'exchange_failed', kind: 'retryable', threshold: 1 }, later);
    expect(again.effects).toEqual([]);
    expect(again.state.breaker).toMatchObject({ status: 'open', openedAt: now, consecutiveFailures: 2 });
    // Runs recorded before this rule re-tripped on every failure: replaying them must do the same.
    expect(kinds(transition(halted, { type: 'exchange_failed', kind: 'retryable', threshold: 1, legacyRetrip: true }, later).effects)).toEqual(['halt']);
  });

  it('a CRITICAL key audit on a breaker open for a loss keeps the loss as its cause and still opens the finding its incident', () => {
    const lossHalted = { ...active, breaker: open('daily_loss') };
    const t = transition(lossHalted, { type: 'key_audit', result: critical }, later);
    expect(t.state.breaker.trippedBy).toBe('daily_loss');
    expect(kinds(t.effects)).toEqual(['wake', 'alert_already_halted']);
  });

  it("a resume releases only the approving incident's claim; the session stays isolated while another holds it", () => {
    const isolated: SessionControl = { ...active, mode: 'stopped', stopRequested: true, breaker: open('incident'), isolation: { incidents: ['incident/a', 'incident/b'], reason: 'x', at: now } };
    const first = transition(isolated, { type: 'resume', by: 'incident/a', reason: 'r', approvedIncident: 'incident/a' }, later);
    expect(state(first.state)).toBe('isolated');
    expect(first.state.isolation?.incidents).toEqual(['incident/b']);
    expect(kinds(first.effects)).toEqual(['session_event']);
    const second = transition(first.state, { type: 'resume', by: 'incident/b', reason: 'r', approvedIncident: 'incident/b' }, later);
    expect(state(second.state)).toBe('active');
    expect(kinds(second.effects)).toEqual(['wake', 'audit_breaker_closed', 'session_event']);
  });

  it('a rebalance that ends without a top-up leaves trading paused; a completed one resumes it', () => {
    const waiting = transition(active, { type: 'low_balance', warmBalanceUsd: 10 }, later).state;
    const started = transition(waiting, { type: 'rebalance_started', id: 'rb', detail: 'x' }, later).state;
    expect(transition(started, { type: 'low_balance', warmBalanceUsd: 5 }, later).effects).toEqual([]);
    const timedOut = transition(started, { type: 'rebalance_ended', id: 'rb', by: 'op', outcome: 'timed_out' }, later);
    expect(state(timedOut.state)).toBe('reducing');
    expect(timedOut.state.rebalancing).toBeUndefined();
    const done = transition(started, { type: 'rebalance_ended', id: 'rb', by: 'op' }, later);
    expect(state(done.state)).toBe('active');
    expect(kinds(done.effects)).toEqual(['wake', 'session_event']);
  });
});
