/**
 * The credential rotation's contract (workflows/rotation.ts): rotateCredentialWorkflow's input,
 * state, the operator's Updates, its Query and workflow id; rotationCheckWorkflow's input and
 * report. Clients and the CLI import these, never the workflow. The message names are in running
 * rotations' histories: never rename one.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Finding } from '../domain/key-audit';
import type { ExchangeId } from '../domain/market';

/** Which of an account's keys (contracts import no adapters, so the secrets store's type is restated). */
export type KeyPurpose = 'trading' | 'monitoring';

// ---- rotateCredentialWorkflow ------------------------------------------------------

export type RotationStatus =
  | 'awaiting_pending'
  | 'auditing'
  | 'promoting'
  | 'verifying'
  | 'settling'
  | 'awaiting_revocation'
  | 'completed'
  | 'rejected'
  | 'rolled_back'
  | 'timed_out'
  | 'revocation_unconfirmed';

export interface RotationState {
  id: string;
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  status: RotationStatus;
  startedAt: string;
  /** Why this rotation runs (due date, incident). */
  reason: string;
  /** Fingerprints (see keyFingerprint), never keys. */
  currentKey?: string;
  pendingKey?: string;
  stagedBy?: string;
  revokedBy?: string;
  /** The staged key's audit. */
  findings: Finding[];
  /** How it ended, in words. */
  outcome?: string;
}

export interface OperatorAck {
  /** The operator's id (`tg:<id>` or `cli:<user>`). */
  by: string;
}

export const pendingStoredUpdate = defineUpdate<RotationState, [OperatorAck]>('pendingStored');
export const oldKeyRevokedUpdate = defineUpdate<RotationState, [OperatorAck]>('oldKeyRevoked');
export const rotationStatusQuery = defineQuery<RotationState>('rotationStatus');

export const rotateWorkflowId = (exchange: string, account: string, purpose: KeyPurpose) => `rotate/${exchange}/${account}/${purpose}`;

export interface RotateTimings {
  /** Seconds. Staging a key is a WARNING chore: remind daily, escalate after 3 days, give up after 7. */
  reminderEverySeconds?: number;
  escalateAfterSeconds?: number;
  giveUpAfterSeconds?: number;
  /** Seconds. A live old key is a risk: remind hourly, escalate after 4 h, give up after 24 h. */
  revokeReminderEverySeconds?: number;
  revokeEscalateAfterSeconds?: number;
  revokeGiveUpAfterSeconds?: number;
  /** The workers' secrets cache TTL: revoking the old key before it expires would fail sessions still holding it. */
  cacheTtlSeconds?: number;
}

export interface RotateInput extends RotateTimings {
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  /** Symbols the verification snapshot reads (the account's configured ones). */
  symbols?: string[];
  /** Operator ids allowed to confirm; empty means any named operator. */
  operators?: string[];
  reason?: string;
}

// ---- rotationCheckWorkflow ----------------------------------------------------------

/** The workflow types the daily schedules start (workers/schedules.ts). */
export const rotationCheckWorkflowType = 'rotationCheckWorkflow';
export const dailyReportWorkflowType = 'dailyReportWorkflow';

export interface RotationCheckInput {
  /** Accounts to check (with the symbols a rotation's verification reads); absent, the worker's configured accounts. */
  accounts?: Array<{ exchange: ExchangeId; account: string; symbols?: string[] }>;
  intervalDays?: number;
  operators?: string[];
  /** Passed to every rotation this starts. */
  rotate?: RotateTimings;
}

export interface CredentialCheck {
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  keyFingerprint?: string;
  createdAt?: string;
  dueAt?: string;
  ageDays?: number;
  due: boolean;
  rotation?: { workflowId: string; state: 'started' | 'already_running' };
  error?: string;
}

export interface RotationCheckReport {
  intervalDays: number;
  checked: CredentialCheck[];
}
