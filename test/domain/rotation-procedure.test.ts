import { describe, expect, it } from 'vitest';
import { daysAgo } from '../helpers/clock';
import type { Finding } from '../../domain/key-audit';
import {
  judgeStagedKey,
  ROTATION_STEPS,
  rotationFinished,
  rotationTransition,
  startRotation,
  type RotationEffect,
  type RotationEvent,
  type RotationProcedure,
  type RotationStep,
} from '../../domain/rotation-procedure';

const OLD = 'old111111111';
const NEW = 'new222222222';
const finding = (severity: Finding['severity'], code: Finding['code'], message: string): Finding => ({ exchange: 'binance', account: 'main', key: 'trading', severity, code, message });
const CRITICAL = finding('CRITICAL', 'withdraw_enabled', 'Withdrawal permission enabled on Binance! Disable immediately.');
const WARNING = finding('WARNING', 'no_ip_whitelist', 'No IP whitelist on Binance.');

/** One sample of every event, and of every verdict the staged key's audit can reach. */
const EVENTS: Record<string, RotationEvent> = {
  staged: { type: 'staged', by: 'tg:42' },
  stage_timed_out: { type: 'stage_timed_out' },
  pending_audit_failed: { type: 'pending_audit_failed', reason: 'ExchangeAuth: bad key' },
  pending_audited_clean: { type: 'pending_audited', pendingKey: NEW, findings: [] },
  pending_audited_warning: { type: 'pending_audited', pendingKey: NEW, findings: [WARNING] },
  pending_audited_critical: { type: 'pending_audited', pendingKey: NEW, findings: [CRITICAL, WARNING] },
  pending_audited_same_key: { type: 'pending_audited', pendingKey: OLD, findings: [] },
  pending_audited_no_key: { type: 'pending_audited', findings: [] },
  promotion_refused: { type: 'promotion_refused', reason: 'RotationState: AWSPENDING changed' },
  promoted: { type: 'promoted', fingerprint: NEW, versionId: 'v2', alreadyPromoted: false },
  promoted_before: { type: 'promoted', fingerprint: NEW, versionId: '', alreadyPromoted: true },
  verified: { type: 'verified', check: 'account snapshot' },
  verification_failed: { type: 'verification_failed', reason: 'ExchangeAuth: 401', restoredKey: OLD },
  settled: { type: 'settled' },
  revoked: { type: 'revoked', by: 'cli:alice' },
  revocation_timed_out: { type: 'revocation_timed_out' },
};

/** A rotation at each step: the pending key is known from the audit on. */
const at = (status: RotationStep): RotationProcedure => ({ status, venue: 'Binance', currentKey: OLD, ...(['awaiting_pending', 'auditing'].includes(status) ? {} : { pendingKey: NEW }) });

const end = (outcome: string, alert?: 'key_audit_finding' | 'rotation_due', severity?: 'CRITICAL' | 'WARNING'): RotationEffect => ({ kind: 'end', outcome, ...(alert ? { alert: { name: alert, severity: severity! } } : {}) });

/** Every pair that moves the procedure; every other pair of step and event must change nothing. */
const MOVES: Record<string, { status: RotationStep; effects: RotationEffect[]; pendingKey?: string }> = {
  'awaiting_pending:staged': {
    status: 'auditing',
    effects: [{ kind: 'audit', step: 'pending_stored', detail: 'staged key reported by tg:42', by: 'tg:42' }, { kind: 'forget_cached_key', which: 'before_pending_read' }, { kind: 'audit_pending_key' }],
  },
  'awaiting_pending:stage_timed_out': { status: 'timed_out', effects: [end('nobody staged a new key in time; the current key stays and is still due', 'rotation_due', 'CRITICAL')] },
  'auditing:pending_audit_failed': { status: 'rejected', effects: [end('the staged key could not be audited (ExchangeAuth: bad key); the current key stays', 'key_audit_finding', 'CRITICAL')] },
  'auditing:pending_audited_clean': { status: 'promoting', pendingKey: NEW, effects: [{ kind: 'audit', step: 'pending_audited', detail: 'no findings' }, { kind: 'promote', fingerprint: NEW }] },
  'auditing:pending_audited_warning': {
    status: 'promoting',
    pendingKey: NEW,
    effects: [{ kind: 'audit', step: 'pending_audited', detail: 'accepted with 1 warning(s): No IP whitelist on Binance.' }, { kind: 'promote', fingerprint: NEW }],
  },
  'auditing:pending_audited_critical': {
    status: 'rejected',
    pendingKey: NEW,
    effects: [end(`staged key ${NEW} REJECTED, the current key stays: Withdrawal permission enabled on Binance! Disable immediately.`, 'key_audit_finding', 'CRITICAL')],
  },
  'auditing:pending_audited_same_key': { status: 'rejected', pendingKey: OLD, effects: [end(`the staged key is the current key ${OLD}; stage a NEW key`, 'key_audit_finding', 'WARNING')] },
  'auditing:pending_audited_no_key': { status: 'rejected', effects: [end(`the staged key is the current key ${OLD}; stage a NEW key`, 'key_audit_finding', 'WARNING')] },
  'promoting:promotion_refused': { status: 'rejected', effects: [end('promotion refused (RotationState: AWSPENDING changed); the current key stays', 'key_audit_finding', 'CRITICAL')] },
  'promoting:promoted': {
    status: 'verifying',
    effects: [{ kind: 'audit', step: 'promoted', detail: `AWSCURRENT is now ${NEW} (version v2)` }, { kind: 'forget_cached_key', which: 'old_key' }, { kind: 'verify' }],
  },
  'promoting:promoted_before': {
    status: 'verifying',
    effects: [{ kind: 'audit', step: 'promoted', detail: `AWSCURRENT is now ${NEW} (version -), found already promoted` }, { kind: 'forget_cached_key', which: 'old_key' }, { kind: 'verify' }],
  },
  'verifying:verified': { status: 'settling', effects: [{ kind: 'audit', step: 'verified', detail: `account snapshot succeeded with ${NEW}` }, { kind: 'settle' }] },
  'verifying:verification_failed': {
    status: 'rolled_back',
    effects: [end(`the new key ${NEW} failed verification (ExchangeAuth: 401); rolled back to ${OLD}. Do NOT revoke the old key`, 'rotation_due', 'CRITICAL')],
  },
  'settling:settled': {
    status: 'awaiting_revocation',
    effects: [{ kind: 'audit', step: 'revocation_requested', detail: `old key ${OLD}` }, { kind: 'ask_to_revoke' }, { kind: 'await_revocation' }],
  },
  'awaiting_revocation:revoked': {
    status: 'completed',
    effects: [{ kind: 'audit', step: 'old_key_revoked', detail: `old key ${OLD} revoked at Binance, confirmed by cli:alice`, by: 'cli:alice' }, end(`rotated ${OLD} -> ${NEW}`)],
  },
  'awaiting_revocation:revocation_timed_out': {
    status: 'revocation_unconfirmed',
    effects: [end(`nobody confirmed revoking the old key ${OLD}; it may still be live at Binance`, 'rotation_due', 'CRITICAL')],
  },
};

describe('rotation procedure', () => {
  const pairs = ROTATION_STEPS.flatMap((step) => Object.keys(EVENTS).map((name) => [step, name] as const));

  it('the table below names only real steps and events', () => {
    for (const pair of Object.keys(MOVES)) expect(pairs.map(([s, e]) => `${s}:${e}`)).toContain(pair);
    expect(pairs).toHaveLength(ROTATION_STEPS.length * Object.keys(EVENTS).length);
  });

  it.each(pairs)('%s + %s', (step, name) => {
    const before = at(step);
    const move = MOVES[`${step}:${name}`];
    const after = rotationTransition(before, EVENTS[name]!);
    if (!move) {
      expect(after).toEqual({ state: before, effects: [] });
      return;
    }
    expect(after.effects).toEqual(move.effects);
    expect(after.state).toEqual({ ...before, status: move.status, ...('pendingKey' in move ? { pendingKey: move.pendingKey } : {}) });
  });

  it('starts by auditing the current key, asking for a staged one and waiting for it', () => {
    const createdAt = daysAgo(100);
    expect(startRotation({ venue: 'OKX', currentKey: OLD, reason: 'due (100 days old)', createdAt })).toEqual({
      state: { status: 'awaiting_pending', venue: 'OKX', currentKey: OLD },
      effects: [
        { kind: 'audit', step: 'started', detail: `due (100 days old); current key ${OLD} created ${createdAt}` },
        { kind: 'ask_to_stage' },
        { kind: 'await_stage' },
      ],
    });
  });

  it('a rotation that stops on a step ends there with one audit of its outcome; only the finished steps count as finished', () => {
    for (const [pair, move] of Object.entries(MOVES)) {
      const last = move.effects[move.effects.length - 1]!;
      expect(rotationFinished({ ...at('auditing'), status: move.status }), pair).toBe(last.kind === 'end');
    }
    expect(ROTATION_STEPS.filter((s) => rotationFinished(at(s)))).toEqual(['completed', 'rejected', 'rolled_back', 'timed_out', 'revocation_unconfirmed']);
  });

  it('judges a staged key: a CRITICAL finding refuses it, warnings are reported, the same key is not a rotation', () => {
    expect(judgeStagedKey(OLD, NEW, [WARNING, WARNING])).toEqual({ accepted: true, detail: 'accepted with 2 warning(s): No IP whitelist on Binance. No IP whitelist on Binance.' });
    expect(judgeStagedKey(OLD, NEW, [CRITICAL])).toMatchObject({ accepted: false, severity: 'CRITICAL' });
    expect(judgeStagedKey(OLD, OLD, [CRITICAL])).toMatchObject({ accepted: false, severity: 'WARNING' });
  });
});
