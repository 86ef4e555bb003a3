/**
 * The key audit's contract (workflows/key-audit.ts): what a run is asked and what it reports. The
 * result each account's session is told is the session's keyAuditResult Signal (contracts/session.ts).
 */
import type { Finding } from '../domain/key-audit';
import type { ExchangeId } from '../domain/market';

/** The workflow type the daily `key-audit` schedule starts. */
export const keyAuditWorkflowType = 'keyAuditWorkflow';

export interface KeyAuditWorkflowInput {
  /** Accounts to audit; absent, the worker's configured accounts. */
  accounts?: Array<{ exchange: ExchangeId; account: string }>;
  requestedBy?: string;
}

export interface AccountAudit {
  exchange: ExchangeId;
  account: string;
  findings: Finding[];
  /** Set when the audit could not run (secret unreadable, venue unreachable, key rejected). */
  error?: string;
  /** Whether the account's session was told the result (false: no session running). */
  sessionSignalled?: boolean;
}

export interface KeyAuditReport {
  accounts: AccountAudit[];
  critical: number;
  warnings: number;
  failed: number;
}
