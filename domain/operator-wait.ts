/**
 * When a procedure waiting for an operator nudges, escalates or gives up: the timing behind
 * workflows/wait-for-operator.ts, kept pure so every budget is tested without a clock. A nudge
 * is a reminder or an escalation, sent after each `nudgeEveryMs` of silence.
 */
export interface OperatorWaitPolicy {
  /** Give up once this much time has passed unanswered; absent, only `maxNudges` ends the wait. */
  giveUpAfterMs?: number;
  /** Nudge after each this much silence; absent, one wait for the whole budget. */
  nudgeEveryMs?: number;
  /** A nudge sent at or after this much waiting is an escalation; absent, none is. */
  escalateAfterMs?: number;
  /** 'once' (the default): one escalation, then reminders again; 'every': each nudge past the threshold escalates (paging rounds). */
  escalation?: 'once' | 'every';
  /** Give up after this many nudges. */
  maxNudges?: number;
}

export interface OperatorWaitProgress {
  reminders: number;
  escalations: number;
}

/** Before waiting: how long until the next nudge or the deadline, or nothing left to wait for. */
export type NextWait = { kind: 'wait'; ms: number } | { kind: 'give_up' };

/** After a wait ran out unanswered: the nudge to send (its round counts that kind), or the end. */
export type AfterSilence = { kind: 'remind'; round: number } | { kind: 'escalate'; round: number } | { kind: 'give_up' };

export function nextWait(policy: OperatorWaitPolicy, progress: OperatorWaitProgress, waitedMs: number): NextWait {
  if (policy.maxNudges !== undefined && progress.reminders + progress.escalations >= policy.maxNudges) return { kind: 'give_up' };
  const left = (policy.giveUpAfterMs ?? Number.POSITIVE_INFINITY) - waitedMs;
  if (left <= 0) return { kind: 'give_up' };
  const ms = Math.min(policy.nudgeEveryMs ?? Number.POSITIVE_INFINITY, left);
  // A wait with neither a deadline nor nudges would block forever without a word to anyone.
  if (!Number.isFinite(ms)) throw new RangeError('an operator wait needs giveUpAfterMs or nudgeEveryMs');
  return { kind: 'wait', ms };
}

/**
 * `nudgeAtDeadline`: the rebalance's own loop, before the shared helper, still reminded when the
 * deadline's wait ran out and gave up only after; runs recorded then replay with it.
 */
export function afterSilence(policy: OperatorWaitPolicy, progress: OperatorWaitProgress, waitedMs: number, nudgeAtDeadline = false): AfterSilence {
  if (!nudgeAtDeadline && policy.giveUpAfterMs !== undefined && waitedMs >= policy.giveUpAfterMs) return { kind: 'give_up' };
  if (policy.nudgeEveryMs === undefined) return { kind: 'give_up' };
  const escalates = policy.escalateAfterMs !== undefined && waitedMs >= policy.escalateAfterMs && (policy.escalation === 'every' || progress.escalations === 0);
  return escalates ? { kind: 'escalate', round: progress.escalations + 1 } : { kind: 'remind', round: progress.reminders + 1 };
}
