/**
 * The CLI's own audit trail (<stateDir>/cli): every operator action run from the
 * command line lands on it, as the bot's do on the bot's. Imported only when an
 * audited command runs, so `--help` and read-only commands never pay for it.
 */
import type { AuditTrail } from '../adapters/audit';
import { sanitize } from '../adapters/redact';
import type { LoadedConfig } from '../config/load';
import { operatorCommandEvent } from './core/audit';
import { cliOperator } from './core/identity';
import { composeDesk } from '../workers/composition';

/** The CLI role's trail; its lifetime is the command's (closeCliTrail), not a composition's. */
export function openCliTrail(loaded: LoadedConfig): Promise<AuditTrail> {
  return composeDesk(loaded, 'cli').trail();
}

/** The outcome of an action outside the operator core, as the same `operator_command` event: a failure is recorded as one, never skipped. */
export async function recordCliAction(trail: AuditTrail, action: { command: string; args: readonly string[]; opts: Record<string, unknown> }, failure: unknown, exitCode: number): Promise<void> {
  const op = cliOperator();
  const why = failure !== undefined ? (failure instanceof Error ? failure.message : String(failure)) : exitCode ? `exit code ${exitCode}` : '';
  const given = [action.args.length ? `args ${JSON.stringify(action.args)}` : '', Object.keys(action.opts).length ? `options ${JSON.stringify(action.opts)}` : ''];
  const detail = sanitize([given.filter(Boolean).join(' '), why].filter(Boolean).join(': '));
  await trail.record(operatorCommandEvent(op, action.command, failure !== undefined || exitCode ? 'failed' : 'accepted', detail));
}

/**
 * Ships what the CLI spooled, for a few seconds at most: an S3 outage must not hold
 * the operator's shell (the events are durable in the spool and ship on the next run).
 */
export async function closeCliTrail(trail: AuditTrail, waitMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    trail.shipNow().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  // Still shipping: leave it; the spool is fsync'd and the process is about to exit.
  if (done) await trail.close();
}
