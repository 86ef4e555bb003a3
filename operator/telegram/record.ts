/**
 * Writes an `operator_command` audit event. A failed write is logged, never
 * thrown: the command has already happened and the operator must still get
 * the reply saying so.
 */
import type { AuditRecorder } from '../../adapters/audit/trail';
import type { Logger } from '../../adapters/logger';
import { sanitize } from '../../adapters/redact';
import type { Operator } from '../../clients/desk-control';

export type CommandOutcome = 'accepted' | 'refused' | 'failed';

const MAX_DETAIL = 300;

export async function recordCommand(
  deps: { audit: AuditRecorder; logger: Logger },
  op: Operator,
  command: string,
  outcome: CommandOutcome,
  detail?: string,
): Promise<void> {
  const clean = detail === undefined ? undefined : sanitize(detail).slice(0, MAX_DETAIL);
  try {
    await deps.audit.record({
      type: 'operator_command',
      actor: op.id,
      data: { operator: op.id, channel: op.channel, command, outcome, ...(clean !== undefined ? { detail: clean } : {}) },
    });
  } catch (err) {
    deps.logger.error({ operator: op.id, command, outcome }, `operator command not audited: ${sanitize(String(err))}`);
  }
  const level = outcome === 'accepted' ? 'info' : 'warn';
  deps.logger[level]({ operator: op.id, channel: op.channel, command, outcome }, clean ?? command);
}
