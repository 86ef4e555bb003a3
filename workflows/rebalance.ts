/**
 * The seed's fund rebalancing procedure (section 3), with its human wait:
 *   1. the session detects a low warm balance and starts this (one at a time per account);
 *   2. alert the operator with the amount that restores the wallet tiers;
 *   3. wait for the operator's `confirmTransfer` (reminders, then escalation);
 *   4. the operator moves funds cold -> warm by hand, with 2FA, outside Warden:
 *      nothing here can move funds (the gateway has no such method);
 *   5. watch the balance until the increase shows (or time out and alert);
 *   6. tell the session to resume trading.
 * Its input, status, messages and workflow id are contracts/rebalance.ts's.
 */
import { checkInput, OperatorAckInput, OperatorRequestInput, TransferConfirmationInput } from '../domain/operator-input';
import {
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import { formatDuration } from '../domain/duration';
import { valuePortfolio } from '../domain/portfolio';
import { makeAlert, type AlertName, type AlertSeverity } from '../domain/severity';
import { rebalanceNeed, DEFAULT_TIERS } from '../domain/wallet-tiers';
import { confirmTransferUpdate, rebalanceStatusQuery, rejectRebalanceUpdate, type RebalanceInput, type RebalanceSummary, type TransferConfirmation } from '../contracts/rebalance';
import { rebalanceDoneSignal } from '../contracts/session';
import { FAILURE } from '../contracts/failures';
import { waitForOperator } from './wait-for-operator';

const { snapshotAccount } = proxyActivities<DeskActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.exchangeAuth] } });
const { recordAudit, sendAlert } = proxyActivities<DeskActivities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '1 second', maximumInterval: '30 seconds' } });

export async function rebalanceWorkflow(input: RebalanceInput): Promise<RebalanceSummary> {
  const { workflowId } = workflowInfo();
  const session = `${input.exchange}/${input.account}`;
  const need = rebalanceNeed({ coldUsd: input.coldUsd, warmUsd: input.warmBalanceUsd, hotUsd: input.hotUsd }, input.tiers ?? DEFAULT_TIERS);
  // Without cold holdings on record, ask for what lifts the account back over the threshold.
  const amountNeededUsd = need.coldToWarmUsd > 0 ? need.coldToWarmUsd : Math.max(0, Math.ceil(input.thresholdUsd - input.warmBalanceUsd));
  const summary: RebalanceSummary = {
    id: workflowId,
    session,
    status: 'awaiting_transfer',
    amountNeededUsd,
    warmBalanceUsd: input.warmBalanceUsd,
    startedAt: new Date(Date.now()).toISOString(),
  };
  let confirmation: TransferConfirmation | undefined;
  let rejection: { by: string; reason: string } | undefined;
  let step = 0;

  const audit = (name: string, detail: string) =>
    recordAudit({ id: `${workflowId}/${++step}/${name}`, type: 'rebalance_step', actor: session, data: { rebalance: workflowId, step: name, detail } });
  const alert = (name: AlertName, message: string, severity?: AlertSeverity) =>
    sendAlert({ alert: makeAlert(name, { message, at: new Date(Date.now()).toISOString(), scope: { exchange: input.exchange, account: input.account, subject: `rebalance-${step}` }, severity }), actor: workflowId });

  const checkOperator = (by: string) => {
    checkInput(OperatorAckInput, { by });
    if (!input.operators.includes(by)) throw new Error(`by: ${by || '(empty)'} is not an authorized operator`);
  };
  setHandler(
    confirmTransferUpdate,
    (c) => {
      confirmation = c;
      return summary;
    },
    {
      validator: (c) => {
        checkOperator(c.by);
        if (summary.status !== 'awaiting_transfer') throw new Error(`status: this rebalance is ${summary.status}, not awaiting a transfer`);
        // The amount and reference as `warden approve` and /approve parse them.
        checkInput(TransferConfirmationInput, c);
        // A typo of an extra zero or two is caught here rather than waited on for hours.
        const plausible = Math.max(amountNeededUsd * 10, input.thresholdUsd * 10, input.coldUsd);
        if (c.amountUsd > plausible) throw new Error(`amountUsd: ${c.amountUsd} is implausible (more than ${plausible})`);
      },
    },
  );
  setHandler(
    rejectRebalanceUpdate,
    (r) => {
      rejection = r;
      return summary;
    },
    {
      validator: (r) => {
        checkOperator(r.by);
        if (summary.status !== 'awaiting_transfer') throw new Error(`status: this rebalance is ${summary.status}, not awaiting a transfer`);
        checkInput(OperatorRequestInput, r);
      },
    },
  );
  setHandler(rebalanceStatusQuery, () => summary);

  // Step 1-2: detected, operator alerted.
  await audit('detected', `warm balance ${input.warmBalanceUsd.toFixed(2)} USD below ${input.thresholdUsd} USD`);
  const ask = `${session}: warm balance ${input.warmBalanceUsd.toFixed(2)} USD is below ${input.thresholdUsd} USD. Move ${amountNeededUsd.toFixed(2)} USD cold -> warm by hand (exchange UI, 2FA), then confirm with /approve ${workflowId} <amountUsd> <reference>. Trading is paused until then.`;
  await alert('low_balance', ask);
  await audit('operator_alerted', `asked for ${amountNeededUsd.toFixed(2)} USD`);

  // Step 3: the human wait, with reminders and escalation.
  const reminderMs = (input.reminderEverySeconds ?? 30 * 60) * 1000;
  const giveUpMs = (input.giveUpAfterSeconds ?? 24 * 3600) * 1000;
  // Runs started before the shared wait reminded once more at the deadline, just before giving up.
  const legacy = patched('rebalance-wait-for-operator') ? undefined : { checksBeforeArming: true, nudgesAtDeadline: true };
  await waitForOperator({
    answered: () => !!confirmation || !!rejection,
    policy: { nudgeEveryMs: reminderMs, escalateAfterMs: (input.escalateAfterSeconds ?? 2 * 3600) * 1000, giveUpAfterMs: giveUpMs },
    summary: `Wait for the operator's transfer (reminder every ${formatDuration(reminderMs)}, give up after ${formatDuration(giveUpMs)})`,
    remind: async ({ waitedMs }) => {
      await audit('reminder', `waiting ${formatDuration(waitedMs)}`);
      await alert('low_balance', `Reminder: ${ask}`);
    },
    escalate: async ({ waitedMs }) => {
      await audit('escalated', `no answer after ${formatDuration(waitedMs)}`);
      await alert('low_balance', `ESCALATION: ${ask}`, 'CRITICAL');
    },
    legacy,
  });
  if (rejection) {
    summary.status = 'rejected';
    await audit('rejected', `by ${rejection.by}: ${rejection.reason}`);
    await tellSessionItEnded('rejected', rejection.by);
    return summary;
  }
  if (!confirmation) {
    summary.status = 'timed_out';
    await audit('timed_out', 'no operator confirmation');
    await alert('low_balance', `${session}: nobody confirmed the transfer in time; trading stays paused`, 'CRITICAL');
    await tellSessionItEnded('timed_out', workflowId);
    return summary;
  }
  await audit('transfer_confirmed', `by ${confirmation.by}: ${confirmation.amountUsd} USD, reference ${confirmation.reference}`);

  // Step 5: the bot confirms the balance increase itself.
  summary.status = 'confirming_balance';
  const target = input.warmBalanceUsd + confirmation.amountUsd * (input.tolerance ?? 0.99);
  const { seenUsd: seen, reached } = await watchBalance(input, target);
  if (!reached) {
    summary.status = 'timed_out';
    await audit('balance_not_seen', `balance ${seen.toFixed(2)} USD, expected at least ${target.toFixed(2)}`);
    await alert('low_balance', `${session}: the confirmed transfer did not show up (balance ${seen.toFixed(2)} USD); trading stays paused`, 'CRITICAL');
    await tellSessionItEnded('timed_out', workflowId);
    return summary;
  }
  summary.warmBalanceUsd = seen;
  await audit('balance_increase_seen', `balance now ${seen.toFixed(2)} USD`);

  /**
   * A rebalance that ends without a top-up tells its session too, which stays paused but stops waiting
   * for it: before this, the session kept the finished rebalance as its wait and never started another.
   * Runs recorded before this change sent nothing here. A session that is gone has nothing to wait for.
   */
  async function tellSessionItEnded(outcome: 'rejected' | 'timed_out', by: string): Promise<void> {
    if (!patched('rebalance-tells-session-every-end')) return;
    await getExternalWorkflowHandle(`session/${session}`)
      .signal(rebalanceDoneSignal, { rebalance: workflowId, by, outcome })
      .catch((err: unknown) => log.info('rebalance: session not signalled (not running)', { session, err: String(err) }));
  }

  // Step 6: resume trading.
  await getExternalWorkflowHandle(`session/${session}`).signal(rebalanceDoneSignal, { rebalance: workflowId, by: confirmation.by });
  summary.status = 'completed';
  await audit('session_resumed', `signalled session/${session}`);
  return summary;
}

/** Reads the account every poll until it holds `targetUsd`, or the balance timeout passes. */
async function watchBalance(input: RebalanceInput, targetUsd: number): Promise<{ seenUsd: number; reached: boolean }> {
  const pollMs = (input.balancePollSeconds ?? 30) * 1000;
  const deadline = Date.now() + (input.balanceTimeoutSeconds ?? 2 * 3600) * 1000;
  for (;;) {
    const snapshot = await snapshotAccount({ exchange: input.exchange, account: input.account, symbols: input.symbols });
    const seenUsd = valuePortfolio(snapshot).total;
    if (seenUsd >= targetUsd) return { seenUsd, reached: true };
    if (Date.now() >= deadline) return { seenUsd, reached: false };
    await sleep(pollMs);
  }
}
