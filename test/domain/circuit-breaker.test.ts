import { describe, expect, it } from 'vitest';
import {
  initialBreaker,
  isOpen,
  keyAuditRearmRefusal,
  rearm,
  recordFailure,
  recordKeyAudit,
  recordSuccess,
  trip,
  type BreakerState,
  type KeyAuditHistory,
} from '../../domain/circuit-breaker';

const T = '2025-01-15T12:00:00.000Z';
const T2 = '2025-01-15T12:05:00.000Z';

function fail(state: BreakerState, n: number, threshold?: number): BreakerState {
  let s = state;
  for (let i = 0; i < n; i++) s = recordFailure(s, 'retryable', T, threshold);
  return s;
}

describe('circuit breaker', () => {
  it('starts closed', () => {
    expect(initialBreaker()).toEqual({ status: 'closed', consecutiveFailures: 0 });
    expect(isOpen(initialBreaker())).toBe(false);
  });

  it('trips at once on an auth failure', () => {
    expect(recordFailure(initialBreaker(), 'auth', T)).toEqual({
      status: 'open',
      trippedBy: 'auth',
      reason: 'exchange rejected the API key (authentication error)',
      openedAt: T,
      consecutiveFailures: 1,
    });
  });

  it('trips after the threshold of consecutive retryable failures (default 5)', () => {
    const four = fail(initialBreaker(), 4);
    expect(four).toEqual({ status: 'closed', consecutiveFailures: 4 });
    const five = recordFailure(four, 'retryable', T2);
    expect(five).toEqual({
      status: 'open',
      trippedBy: 'exchange_failures',
      reason: '5 consecutive exchange failures (threshold 5)',
      openedAt: T2,
      consecutiveFailures: 5,
    });
  });

  it('a success in between resets the count', () => {
    const s = fail(recordSuccess(fail(initialBreaker(), 4)), 4);
    expect(s.status).toBe('closed');
    expect(s.consecutiveFailures).toBe(4);
  });

  it('honours a custom threshold and never a threshold below 1', () => {
    expect(fail(initialBreaker(), 2, 2).status).toBe('open');
    expect(fail(initialBreaker(), 1, 2).status).toBe('closed');
    expect(fail(initialBreaker(), 1, 0).status).toBe('open');
    expect(fail(initialBreaker(), 1, -3).reason).toBe('1 consecutive exchange failures (threshold 1)');
  });

  it('a success never closes an open breaker', () => {
    const open = recordFailure(initialBreaker(), 'auth', T);
    const after = recordSuccess(open);
    expect(after.status).toBe('open');
    expect(after.consecutiveFailures).toBe(0);
    const closed = initialBreaker();
    expect(recordSuccess(closed)).toBe(closed);
  });

  it('keeps the first cause when tripped again', () => {
    const first = trip(initialBreaker(), 'daily_loss', 'daily P&L -5.10%', T);
    expect(first).toMatchObject({ status: 'open', trippedBy: 'daily_loss', reason: 'daily P&L -5.10%', openedAt: T });
    expect(trip(first, 'manual', '/stop', T2)).toBe(first);
    const more = fail(first, 10);
    expect(more).toMatchObject({ trippedBy: 'daily_loss', openedAt: T, consecutiveFailures: 10 });
    expect(recordFailure(first, 'auth', T2)).toMatchObject({ trippedBy: 'daily_loss', reason: 'daily P&L -5.10%' });
  });

  it('accepts every trip cause', () => {
    for (const by of ['daily_loss', 'max_drawdown', 'auth', 'exchange_failures', 'manual', 'incident', 'key_audit'] as const) {
      expect(trip(initialBreaker(), by, 'x', T).trippedBy).toBe(by);
    }
  });

  it('only an operator re-arms it, and that clears everything', () => {
    const open = fail(initialBreaker(), 7);
    expect(rearm(open, 'telegram:12345')).toEqual({ status: 'closed', consecutiveFailures: 0, rearmedBy: 'telegram:12345' });
    // Re-arming then failing again needs the full threshold.
    expect(fail(rearm(open, 'op'), 4).status).toBe('closed');
  });

  it('never mutates its input', () => {
    const s = initialBreaker();
    const frozen = Object.freeze({ ...s });
    expect(() => recordFailure(frozen, 'retryable', T)).not.toThrow();
    expect(() => trip(frozen, 'manual', 'x', T)).not.toThrow();
    expect(frozen).toEqual(s);
  });
});

describe('re-arming after a key-audit halt', () => {
  const T0 = '2025-01-15T11:59:00.000Z';
  const T3 = '2025-01-15T12:10:00.000Z';
  const audit = (at: string, critical: boolean, auditId = `audit@${at}`) => ({ auditId, at, critical });
  const halted = trip(initialBreaker(), 'key_audit', 'key audit: withdrawal permission enabled', T);

  it('refuses while no clean audit completed after the trip, naming the time and what to run', () => {
    const history = recordKeyAudit({}, audit(T0, true));
    const refusal = keyAuditRearmRefusal(halted, history);
    expect(refusal).toMatch(/^key audit: a clean audit is required after 2025-01-15T12:00:00.000Z \(last clean audit: none\)/);
    expect(refusal).toContain('`warden keys audit`');
    expect(refusal).toContain('`temporal schedule trigger --schedule-id key-audit`');
    // A clean audit from before the trip says nothing about the key now.
    expect(keyAuditRearmRefusal(halted, recordKeyAudit(history, audit('2025-01-15T11:00:00.000Z', false)))).toMatch(/last clean audit: 2025-01-15T11:00:00.000Z/);
    // Another CRITICAL one after the trip moves the bar.
    const worse = recordKeyAudit(history, audit(T2, true));
    expect(keyAuditRearmRefusal(halted, recordKeyAudit(worse, audit('2025-01-15T12:01:00.000Z', false)))).toMatch(/required after 2025-01-15T12:05:00.000Z/);
  });

  it('allows it once a clean audit completed after the trip (and the last CRITICAL one)', () => {
    const history = recordKeyAudit(recordKeyAudit({}, audit(T0, true)), audit(T3, false));
    expect(keyAuditRearmRefusal(halted, history)).toBeUndefined();
    expect(history).toEqual({ last: audit(T3, false), lastCleanAuditAt: T3, lastCriticalAuditAt: T0 });
  });

  it('a CRITICAL finding holds a breaker opened by another cause too, and nothing else is held', () => {
    const loss = trip(initialBreaker(), 'daily_loss', 'daily P&L -6%', T0);
    const critical = recordKeyAudit({}, audit(T, true));
    expect(keyAuditRearmRefusal(loss, critical)).toMatch(/required after 2025-01-15T12:00:00.000Z/);
    expect(keyAuditRearmRefusal(loss, recordKeyAudit(critical, audit(T2, false)))).toBeUndefined();
    expect(keyAuditRearmRefusal(loss, {})).toBeUndefined();
    expect(keyAuditRearmRefusal(initialBreaker(), recordKeyAudit({}, audit(T, false)))).toBeUndefined();
    expect(keyAuditRearmRefusal(fail(initialBreaker(), 5), {})).toBeUndefined();
  });

  it('results arriving out of order never move a time backwards', () => {
    let h: KeyAuditHistory = {};
    for (const a of [audit(T3, false), audit(T0, false), audit(T2, true), audit(T, true)]) h = recordKeyAudit(h, a);
    expect(h).toEqual({ last: audit(T3, false), lastCleanAuditAt: T3, lastCriticalAuditAt: T2 });
  });
});
