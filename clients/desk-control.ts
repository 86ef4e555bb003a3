/**
 * What an operator can do to the desk, whatever the channel (Telegram bot or
 * CLI). The Temporal implementation turns each call into an Update, Signal or
 * Query on the right workflows; channels only parse, authorize and format.
 */
import type { RebalanceSummary } from '../workflows/rebalance';
import type { SessionStatus, StopReport } from '../workflows/trading-session';

export type { RebalanceSummary } from '../workflows/rebalance';
export type { IncidentSummary } from '../workflows/incident';
import type { IncidentSummary } from '../workflows/incident';

export type OperatorChannel = 'telegram' | 'cli';

export interface Operator {
  /** Stable id: `tg:<numeric user id>` for Telegram, `cli:<os user>` for the CLI. */
  id: string;
  channel: OperatorChannel;
}

export interface DeskControl {
  /** Every running trading session's status. */
  sessions(): Promise<SessionStatus[]>;
  /** The kill switch: every running session stops and cancels all its open orders. */
  stopAll(op: Operator, reason: string): Promise<StopReport[]>;
  pauseAll(op: Operator, reason: string): Promise<SessionStatus[]>;
  resumeAll(op: Operator, reason: string): Promise<SessionStatus[]>;
  rebalances(): Promise<RebalanceSummary[]>;
  /** The operator confirms the manual cold -> warm transfer they made (amount in USD, their transfer reference). */
  confirmTransfer(id: string, op: Operator, transfer: { amountUsd: number; reference: string }): Promise<RebalanceSummary>;
  rejectRebalance(id: string, op: Operator, reason: string): Promise<RebalanceSummary>;
  incidents(): Promise<IncidentSummary[]>;
  declareIncident(op: Operator, input: { severity: IncidentSummary['severity']; summary: string }): Promise<IncidentSummary>;
  acknowledgeIncident(id: string, op: Operator): Promise<IncidentSummary>;
}
