/**
 * The human wait every procedure has (a rebalance's transfer, a rotation's staged key, an
 * incident's acknowledgement): wait for an Update handler to record the answer, nudge the operator
 * while nobody does (reminders, then escalation) and give up at the deadline. The timing is
 * domain/operator-wait.ts's; this runs it with Temporal timers, one per nudge interval.
 */
import { condition } from '@temporalio/workflow';
import { afterSilence, nextWait, type OperatorWaitPolicy, type OperatorWaitProgress } from '../domain/operator-wait';

export interface Nudge {
  /** Since the wait began. */
  waitedMs: number;
  /** 1 for the first reminder (or escalation), 2 for the second, ... */
  round: number;
}

/**
 * How a procedure's own loop behaved before this helper, for runs recorded then (each caller sets
 * it from `patched()`): `checksBeforeArming` looked at the answer before starting a timer (the
 * helper lets condition() do it, which numbers the timers differently); `nudgesAtDeadline` sent
 * one more nudge when the last wait ran out.
 */
export interface LegacyWait {
  checksBeforeArming?: boolean;
  nudgesAtDeadline?: boolean;
}

export interface OperatorWait {
  /** True once the operator answered (the Update handlers set what it reads). */
  answered: () => boolean;
  policy: OperatorWaitPolicy;
  /** The timers' summary on the Web UI timeline: what the procedure is waiting for. */
  summary: string;
  remind?: (n: Nudge) => Promise<unknown>;
  escalate?: (n: Nudge) => Promise<unknown>;
  legacy?: LegacyWait;
}

export type OperatorAnswer = { outcome: 'answered'; waitedMs: number } | ({ outcome: 'gave_up'; waitedMs: number } & OperatorWaitProgress);

export async function waitForOperator(w: OperatorWait): Promise<OperatorAnswer> {
  const started = Date.now();
  const waited = () => Date.now() - started;
  const progress: OperatorWaitProgress = { reminders: 0, escalations: 0 };
  // An answer that lands while the last nudge is being sent still counts.
  const end = (): OperatorAnswer => (w.answered() ? { outcome: 'answered', waitedMs: waited() } : { outcome: 'gave_up', waitedMs: waited(), ...progress });
  for (;;) {
    if (w.legacy?.checksBeforeArming && w.answered()) return end();
    const next = nextWait(w.policy, progress, waited());
    if (next.kind === 'give_up') return end();
    if (await condition(w.answered, next.ms, { summary: w.summary })) return end();
    const nudge = afterSilence(w.policy, progress, waited(), w.legacy?.nudgesAtDeadline);
    if (nudge.kind === 'give_up') return end();
    if (nudge.kind === 'escalate') {
      progress.escalations += 1;
      await w.escalate?.({ waitedMs: waited(), round: nudge.round });
    } else {
      progress.reminders += 1;
      await w.remind?.({ waitedMs: waited(), round: nudge.round });
    }
  }
}
