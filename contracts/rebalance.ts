/**
 * The rebalancing procedure's contract (workflows/rebalance.ts): what starts it, what it reports,
 * the operator's Updates and its Query. Clients and the session import these, never the workflow.
 * The message names are in running workflows' histories: never rename one.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ExchangeId } from '../domain/market';
import type { Tiers } from '../domain/wallet-tiers';

/** The workflow type clients list and start by (workflows/index.ts exports it under this name). */
export const rebalanceWorkflowType = 'rebalanceWorkflow';

export interface RebalanceSummary {
  id: string;
  session: string;
  status: 'awaiting_transfer' | 'confirming_balance' | 'completed' | 'rejected' | 'timed_out';
  amountNeededUsd: number;
  warmBalanceUsd: number;
  startedAt: string;
}

export interface TransferConfirmation {
  /** The operator's id (`tg:<id>` or `cli:<user>`). */
  by: string;
  amountUsd: number;
  /** The operator's own transfer reference (exchange transfer id, tx hash). */
  reference: string;
}

export const confirmTransferUpdate = defineUpdate<RebalanceSummary, [TransferConfirmation]>('confirmTransfer');
export const rejectRebalanceUpdate = defineUpdate<RebalanceSummary, [{ by: string; reason: string }]>('rejectRebalance');
export const rebalanceStatusQuery = defineQuery<RebalanceSummary>('rebalanceStatus');

export interface RebalanceInput {
  exchange: ExchangeId;
  account: string;
  symbols: string[];
  /** The warm (exchange) balance that triggered this, in USD. */
  warmBalanceUsd: number;
  thresholdUsd: number;
  /** What the operator reports holding outside the exchange, for the tier arithmetic. */
  coldUsd: number;
  hotUsd: number;
  tiers?: Tiers;
  /** Operator ids allowed to confirm or reject. */
  operators: string[];
  /** Seconds; defaults follow the seed's WARNING response time (1 h). */
  reminderEverySeconds?: number;
  escalateAfterSeconds?: number;
  giveUpAfterSeconds?: number;
  balancePollSeconds?: number;
  balanceTimeoutSeconds?: number;
  /** An increase counts when it reaches this fraction of the confirmed amount. */
  tolerance?: number;
}

export const rebalanceWorkflowId = (exchange: string, account: string) => `rebalance/${exchange}/${account}`;
