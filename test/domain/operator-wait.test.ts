import { describe, expect, it } from 'vitest';
import { afterSilence, nextWait, type OperatorWaitPolicy, type OperatorWaitProgress } from '../../domain/operator-wait';

const MIN = 60_000;

/**
 * Plays a wait nobody answers, each timer firing exactly when asked (plus `lateMs`, a busy
 * worker): the nudges sent, when, and when it gave up.
 */
function silence(policy: OperatorWaitPolicy, lateMs = 0, nudgeAtDeadline = false) {
  const progress: OperatorWaitProgress = { reminders: 0, escalations: 0 };
  const log: string[] = [];
  let waited = 0;
  for (let i = 0; i < 100; i++) {
    const next = nextWait(policy, progress, waited);
    if (next.kind === 'give_up') return [...log, `give up at ${waited / MIN}`];
    waited += next.ms + lateMs;
    const nudge = afterSilence(policy, progress, waited, nudgeAtDeadline);
    if (nudge.kind === 'give_up') return [...log, `give up at ${waited / MIN}`];
    if (nudge.kind === 'escalate') progress.escalations += 1;
    else progress.reminders += 1;
    log.push(`${nudge.kind} ${nudge.round} at ${waited / MIN}`);
  }
  throw new Error('the wait never ended');
}

describe('operator wait timing', () => {
  it('reminds every interval, escalates once past the threshold, and gives up at the deadline without a last reminder', () => {
    expect(silence({ nudgeEveryMs: 30 * MIN, escalateAfterMs: 90 * MIN, giveUpAfterMs: 150 * MIN })).toEqual([
      'remind 1 at 30',
      'remind 2 at 60',
      'escalate 1 at 90',
      'remind 3 at 120',
      'give up at 150',
    ]);
  });

  it('shortens the last wait to the deadline when the interval does not divide it', () => {
    const policy = { nudgeEveryMs: 40 * MIN, giveUpAfterMs: 100 * MIN };
    expect(nextWait(policy, { reminders: 2, escalations: 0 }, 80 * MIN)).toEqual({ kind: 'wait', ms: 20 * MIN });
    expect(silence(policy)).toEqual(['remind 1 at 40', 'remind 2 at 80', 'give up at 100']);
  });

  it('judges by the time waited, not the nudges counted: a late worker escalates sooner in rounds', () => {
    expect(silence({ nudgeEveryMs: 30 * MIN, escalateAfterMs: 60 * MIN, giveUpAfterMs: 120 * MIN }, 15 * MIN)).toEqual(['remind 1 at 45', 'escalate 1 at 90', 'give up at 135']);
  });

  it("the rebalance's old loop nudged once more when the deadline's wait ran out", () => {
    expect(silence({ nudgeEveryMs: 1 * MIN, escalateAfterMs: 1 * MIN, giveUpAfterMs: 3 * MIN }, 0, true)).toEqual(['escalate 1 at 1', 'remind 1 at 2', 'remind 2 at 3', 'give up at 3']);
    expect(silence({ nudgeEveryMs: 1 * MIN, escalateAfterMs: 1 * MIN, giveUpAfterMs: 3 * MIN })).toEqual(['escalate 1 at 1', 'remind 1 at 2', 'give up at 3']);
  });

  it('pages every round with escalation "every", and stops after maxNudges with no deadline', () => {
    expect(silence({ nudgeEveryMs: 5 * MIN, escalateAfterMs: 5 * MIN, escalation: 'every', maxNudges: 3 })).toEqual(['escalate 1 at 5', 'escalate 2 at 10', 'escalate 3 at 15', 'give up at 15']);
  });

  it('a wait without nudges is one timer for the whole budget', () => {
    expect(nextWait({ giveUpAfterMs: 15 * MIN }, { reminders: 0, escalations: 0 }, 0)).toEqual({ kind: 'wait', ms: 15 * MIN });
    expect(silence({ giveUpAfterMs: 15 * MIN })).toEqual(['give up at 15']);
  });

  it('gives up at once when the budget is spent, and refuses a wait that could never end', () => {
    expect(nextWait({ giveUpAfterMs: 0, nudgeEveryMs: MIN }, { reminders: 0, escalations: 0 }, 0)).toEqual({ kind: 'give_up' });
    expect(() => nextWait({ escalateAfterMs: MIN }, { reminders: 0, escalations: 0 }, 0)).toThrow('an operator wait needs giveUpAfterMs or nudgeEveryMs');
  });
});
