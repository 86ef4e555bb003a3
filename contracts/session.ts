/**
 * The trading session's contract (workflows/trading-session.ts): what starts it and what it
 * carries over continue-as-new, its status and the operator's requests and reports, its Updates,
 * Signals and Query, and its workflow id. Clients, activities and the other workflows import these,
 * never the workflow. The message names are in running sessions' histories: never rename one.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FillLedger } from '../domain/fill-ledger';
import type { BreakerState, KeyAuditHistory } from '../domain/circuit-breaker';
import type { KeyAuditResultMessage } from '../domain/key-audit';
import type { Balance, ExchangeId, OpenOrder } from '../domain/market';
import type { IntendedOrder, UnknownOrderPolicy } from '../domain/reconciliation';
import type { RiskLimits, RiskState } from '../domain/risk';
import type { Isolation } from '../domain/session-machine';
import type { StrategyConfig, StrategyState } from '../domain/strategy';
import type { RebalanceInput } from './rebalance';

/** The workflow type clients start and list sessions by (workflows/index.ts exports it under this name). */
export const sessionWorkflowType = 'tradingSessionWorkflow';
/** Its signature, so a client starts it by name with typed arguments and loads no workflow code. */
export type TradingSessionWorkflow = (input: SessionInput) => Promise<StopReport | undefined>;

export const sessionWorkflowId = (exchange: string, account: string) => `session/${exchange}/${account}`;

// ---- requests, reports and status ------------------------------------------------

export interface OperatorRequest {
  /** Operator id (Telegram numeric id, or a CLI user). */
  by: string;
  reason: string;
}

export interface StopRequest extends OperatorRequest {
  /** SEV-1 containment: suspend the session's use of its credentials (no exchange calls) until resumed. */
  isolate?: boolean;
  /** The SEV-1 incident whose containment isolates the session: only its approveResume lifts the isolation. */
  incidentId?: string;
  /**
   * One kill switch, one id: the Signal that records the stop and the Update that waits for its
   * cancels carry the same id, and the session acts on it once.
   */
  stopId?: string;
}

export interface StopReport {
  session: string;
  cancelled: Array<{ id: string; clientOrderId: string; symbol: string }>;
  stoppedAt: string;
  stopId?: string;
  /** The venue did not confirm the cancels yet: the session retries them every tick until it does. */
  cancelPending?: boolean;
}

/**
 * A resume. `approvedBy` is set only by an incident's recovery step (its approveResume): a session
 * isolated by a SEV-1 resumes only with the approval of the incident that isolated it (issue 13).
 */
export interface ResumeRequest extends OperatorRequest {
  approvedBy?: { incidentId: string };
}

/** Credentials isolated by SEV-1 containment (domain/session-machine.ts decides them). */
export { UNATTRIBUTED_ISOLATION, type Isolation } from '../domain/session-machine';

/** What the stop Update replies: the report, and the session's status once the venue confirmed the cancels. */
export interface StopResult extends StopReport {
  /** Shows no open orders: the venue has confirmed that none is left. */
  status: SessionStatus;
}

export interface SessionStatus {
  session: string;
  mode: 'trading' | 'paused' | 'stopped';
  breaker: BreakerState;
  ticks: number;
  lastTick?: { at: string; worker?: string };
  positions: Record<string, Balance>;
  pnl: { value: number; dailyPnlPct: number; drawdownPct: number };
  /** The session's own fills in the books (domain/fill-ledger.ts); absent on runs from before fills were read. */
  books?: SessionBooks;
  openOrders: OpenOrder[];
  orderSeq: number;
  lastRefusals: string[];
  lastStop?: StopReport;
  failovers: number;
  /** The worker running this session's workflow tasks. */
  worker?: string;
  /** Set while trading waits for a manual cold -> warm top-up. */
  rebalancing?: string;
  /** How late each of the last ticks started after its timer was due, ms (worker saturation shows here). */
  recentTickLagMs?: number[];
  /** The venue's own dead man's switch (domain/dead-mans-switch.ts): whether the venue has one, and until when it is armed. */
  deadMansSwitch?: { supported: boolean; seconds?: number; armedUntil?: string; reason?: string };
  /** The account's key audits: the last result (with its findings), the last clean and CRITICAL ones. */
  keyAudit?: KeyAuditHistory<KeyAuditResultMessage>;
  /** Orders compared with the venue (issue #12); while not ok, the session places nothing and `reason` says why. */
  reconciliation?: ReconciliationStatus;
  /** Set while SEV-1 containment isolates the credentials: the incidents whose approveResume must lift it. */
  isolation?: Isolation;
}

/** The session's order reconciliation (workflows/session-reconciliation.ts), as its status shows it. */
export interface ReconciliationStatus {
  /** ok: the venue matches the session's intent; pending: waiting to run or for an answer; failed: could not complete. */
  state: 'ok' | 'pending' | 'failed';
  /** What asked for the last reconciliation (session start, continue-as-new, failover, unknown outcome). */
  trigger?: string;
  at?: string;
  /** Why the session does not trade, while it does not. */
  reason?: string;
  policy: UnknownOrderPolicy;
  /** Unknown desk orders kept and managed as the session's own (client order ids). */
  adopted: string[];
  /** Unknown desk orders cancelled. */
  cancelled: string[];
  /** Intended orders whose outcome is still unknown. */
  unknown: string[];
  /** Open orders without a desk id (manual orders), left alone. */
  foreign: string[];
  runs: number;
}

// ---- messages ----------------------------------------------------------------------

export const stopUpdate = defineUpdate<StopResult, [StopRequest]>('stop');
/**
 * The kill switch as a Signal: the server writes it to history with no worker running, so a
 * stop is recorded durably even when nothing can act on it yet (an Update needs a worker).
 */
export const stopSignal = defineSignal<[StopRequest]>('stopRequested');
export const pauseUpdate = defineUpdate<SessionStatus, [OperatorRequest]>('pause');
export const resumeUpdate = defineUpdate<SessionStatus, [ResumeRequest]>('resume');
export const forceOpenUpdate = defineUpdate<SessionStatus, [OperatorRequest]>('forceOpen');
export const statusQuery = defineQuery<SessionStatus>('status');

/** Sent by a completed rebalance: the warm wallet is topped up, the session may trade again. */
/** How a rebalance ended; absent: completed (the only end signalled before every end was). */
export type RebalanceOutcome = 'completed' | 'rejected' | 'timed_out';
export const rebalanceDoneSignal = defineSignal<[{ rebalance: string; by: string; outcome?: RebalanceOutcome }]>('rebalanceDone');

/**
 * Sent by every completed key audit of the session's account (the daily schedule or any run):
 * a CRITICAL result halts the session; a clean one is what re-arming it needs.
 */
export const keyAuditResultSignal = defineSignal<[KeyAuditResultMessage]>('keyAuditResult');

// ---- input and carried state ---------------------------------------------------

export interface SessionInput {
  exchange: ExchangeId;
  account: string;
  symbols: string[];
  strategy: StrategyConfig;
  risk: RiskLimits;
  tickSeconds?: number;
  /** Consecutive retryable failures that trip the breaker. */
  failureThreshold?: number;
  /** Ticks per run before continue-as-new (history stays small). */
  maxTicksPerRun?: number;
  /** The manual rebalancing procedure started when the warm balance runs low; absent: just an alert. */
  rebalance?: Omit<RebalanceInput, 'exchange' | 'account' | 'symbols' | 'warmBalanceUsd' | 'thresholdUsd'>;
  /** The venue cancel-after countdown this session keeps re-arming, seconds; default DEAD_MANS_SWITCH_SECONDS. */
  deadMansSwitchSeconds?: number;
  carried?: CarriedState;
}

/** Realized and unrealized P&L and fees in the quote currency, from the session's fills. */
export interface SessionBooks {
  realizedPnl: number;
  unrealizedPnl: number;
  feesPaid: number;
  fills: number;
  /** Orders with at least one fill over orders placed; absent before the first order. */
  fillRate?: number;
}

export interface CarriedState {
  orderSeq: number;
  /** The fill ledger: what the books hold and which fills are counted (absent: fills not read yet). */
  fills?: FillLedger;
  breaker: BreakerState;
  risk?: RiskState;
  strategy?: StrategyState;
  mode: SessionStatus['mode'];
  ticks: number;
  lastWorker?: string;
  lastStop?: StopReport;
  /** A stop whose cancels the venue has not confirmed yet (venue down): retried every tick. */
  cancelPending?: StopRequest;
  failovers: number;
  auditSeq: number;
  /** The running rebalance workflow, while trading waits for a top-up. */
  rebalancing?: string;
  rebalances?: number;
  keyAudit?: KeyAuditHistory<KeyAuditResultMessage>;
  reconciliation?: ReconciliationCarried;
  isolation?: Isolation;
}

/** What continue-as-new carries of the reconciliation (workflows/session-reconciliation.ts): bounded lists (domain/reconciliation.ts). */
export interface ReconciliationCarried {
  intended: IntendedOrder[];
  handled: string[];
  adopted: string[];
  cancelled: string[];
  runs: number;
}
