/**
 * What an operator can do to the desk, whatever the channel (Telegram bot or
 * CLI). The Temporal implementation turns each call into an Update, Signal or
 * Query on the right workflows; channels only parse, authorize and format.
 */
import type { RebalanceSummary } from '../contracts/rebalance';
import type { SessionStatus, StopReport } from '../contracts/session';

export type { RebalanceSummary } from '../contracts/rebalance';
export type { IncidentSummary } from '../contracts/incident';
import type { IncidentSummary } from '../contracts/incident';

export type OperatorChannel = 'telegram' | 'cli' | 'pagerduty';

export interface Operator {
  /** Stable id: `tg:<numeric user id>` for Telegram, `cli:<os user>` for the CLI. */
  id: string;
  channel: OperatorChannel;
}

/** How long the kill switch waits for a session to confirm its cancels before saying so and acting without it. */
export const STOP_CONFIRM_WITHIN_MS = 5_000;

/** A session whose cancels the desk did not confirm in time. */
export interface UnconfirmedStop {
  /** `<exchange>/<account>` */
  session: string;
  /** The stop reached Temporal's history: the session acts on it as soon as a worker runs it, even after a restart. */
  recorded: boolean;
  /** Plain words for the operator: what did not happen. */
  why: string;
}

export interface StopOutcome {
  stopId: string;
  /** Sessions that stopped and whose venue confirmed no open order is left. */
  reports: StopReport[];
  unconfirmed: UnconfirmedStop[];
}

export interface DeskControl {
  /** Every running trading session's status. */
  sessions(): Promise<SessionStatus[]>;
  /**
   * The kill switch: every running session stops and cancels all its open orders. The stop is
   * recorded in Temporal first (a Signal, durable without a worker), then each session has
   * `confirmWithinMs` to confirm its cancels; the others are listed as unconfirmed, never waited for.
   * `only` (`<exchange>/<account>`) stops just those sessions (`warden session stop`).
   */
  stopAll(op: Operator, reason: string, opts?: { confirmWithinMs?: number; only?: readonly string[] }): Promise<StopOutcome>;
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
