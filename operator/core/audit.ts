/**
 * The `operator_command` audit event, written the same way for every channel: one per command the
 * operator gave, whatever became of it (accepted, refused, failed). A failed write is reported by the
 * channel's sink, never thrown: the command has already happened and the operator must still hear so.
 */
import type { AuditEventInput } from '../../adapters/audit/events';
import { sanitize } from '../../adapters/redact';
import type { Operator } from '../../clients/desk-control';

export type CommandOutcome = 'accepted' | 'refused' | 'failed';

export type OperatorCommandEvent = Extract<AuditEventInput, { type: 'operator_command' }>;

/** Where a channel's command events go. */
export interface CommandAudit {
  record(event: OperatorCommandEvent): Promise<unknown>;
  /** The write failed (the bot logs it, the CLI says so and exits non-zero). */
  unrecorded(event: OperatorCommandEvent, err: unknown): void;
  /** After every event, written or not (the bot logs each command). */
  noted?(event: OperatorCommandEvent): void;
}

const MAX_DETAIL = 500;

export function operatorCommandEvent(op: Operator, command: string, outcome: CommandOutcome, detail?: string): OperatorCommandEvent {
  const clean = detail ? sanitize(detail).slice(0, MAX_DETAIL) : undefined;
  return {
    type: 'operator_command',
    actor: op.id,
    data: { operator: op.id, channel: op.channel, command, outcome, ...(clean ? { detail: clean } : {}) },
  };
}

export async function auditCommand(audit: CommandAudit, op: Operator, command: string, outcome: CommandOutcome, detail?: string): Promise<void> {
  const event = operatorCommandEvent(op, command, outcome, detail);
  try {
    await audit.record(event);
  } catch (err) {
    audit.unrecorded(event, err);
  }
  audit.noted?.(event);
}
