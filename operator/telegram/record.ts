/**
 * The bot's sink for `operator_command` events (operator/core/audit.ts builds them, as for the CLI):
 * its trail, and a log line per command. A failed write is logged, never thrown: the command has
 * already happened and the operator must still get the reply saying so.
 */
import type { AuditRecorder } from '../../adapters/audit/trail';
import type { Logger } from '../../adapters/logger';
import { sanitize } from '../../adapters/redact';
import type { Operator } from '../../clients/desk-control';
import { auditCommand, type CommandAudit, type CommandOutcome } from '../core/audit';

export type { CommandOutcome } from '../core/audit';

export function telegramAudit(deps: { audit: AuditRecorder; logger: Logger }): CommandAudit {
  return {
    record: (event) => deps.audit.record(event),
    unrecorded: (event, err) =>
      deps.logger.error({ operator: event.data.operator, command: event.data.command, outcome: event.data.outcome }, `operator command not audited: ${sanitize(String(err))}`),
    noted: ({ data }) => deps.logger[data.outcome === 'accepted' ? 'info' : 'warn']({ operator: data.operator, channel: data.channel, command: data.command, outcome: data.outcome }, data.detail ?? data.command),
  };
}

/** What the bot records outside a command's run: refusals (strangers, forwards, malformed or unknown commands) and /help. */
export function recordCommand(deps: { audit: AuditRecorder; logger: Logger }, op: Operator, command: string, outcome: CommandOutcome, detail?: string): Promise<void> {
  return auditCommand(telegramAudit(deps), op, command, outcome, detail);
}
