/**
 * What happens when someone who is not an operator (or not in the operator
 * chat) talks to the bot: nothing visible to them, and everything visible to
 * the operators: a refused audit event, the metric, and a CRITICAL alert.
 */
import type { AlertRouter } from '../../adapters/alerts/router';
import type { AuditRecorder } from '../../adapters/audit/trail';
import type { Logger } from '../../adapters/logger';
import type { DeskMetrics } from '../../adapters/metrics';
import { sanitize } from '../../adapters/redact';
import { makeAlert } from '../../domain/severity';
import type { Refusal } from './authorize';
import { recordCommand } from './record';

export interface RefusalDeps {
  audit: AuditRecorder;
  logger: Logger;
  alerts: AlertRouter;
  metrics?: Pick<DeskMetrics, 'unauthorizedAttempts'>;
  now: () => number;
  /**
   * Dedup keys whose alert is being routed right now. The router suppresses a
   * repeat only once the first has been delivered, so without this a burst
   * from one stranger would send one alert per update.
   */
  alertsInFlight: Set<string>;
}

export interface Attempt {
  userId?: number;
  chatId?: number;
  /** Attacker-chosen: audited for the investigation, never used to decide anything. */
  username?: string;
  what: string;
  why: Refusal;
}

/**
 * Audits and counts the attempt before returning; the alert is returned as a
 * promise so the caller can let it finish in the background (a slow or
 * rate-limited Telegram must not hold up the next update, which may be /stop).
 */
export async function refuseUnauthorized(deps: RefusalDeps, a: Attempt): Promise<{ alert: Promise<void> }> {
  deps.metrics?.unauthorizedAttempts.inc({ channel: 'telegram' });
  const user = a.userId === undefined ? 'unknown' : String(a.userId);
  const chat = a.chatId === undefined ? 'unknown' : String(a.chatId);
  const handle = a.username ? ` (@${a.username.replace(/[^A-Za-z0-9_]/g, '').slice(0, 32)})` : '';
  await recordCommand(deps, { id: `tg:${user}`, channel: 'telegram' }, a.what, 'refused', `${a.why}: user ${user}${handle} in chat ${chat}`);
  const alert = makeAlert('unauthorized_access', {
    message: `Telegram user ${user} in chat ${chat} tried ${a.what} on the operator bot (${a.why}). Nothing was done and no reply was sent.`,
    at: new Date(deps.now()).toISOString(),
    scope: { subject: `tg-${user}` },
  });
  if (deps.alertsInFlight.has(alert.dedupKey)) return { alert: Promise.resolve() };
  deps.alertsInFlight.add(alert.dedupKey);
  const routed = deps.alerts.route(alert, 'operator-bot').then(
    (outcome) => {
      if (outcome.failed.length) deps.logger.error({ dedupKey: alert.dedupKey, failed: outcome.failed }, 'unauthorized-access alert not delivered everywhere');
    },
    (err: unknown) => deps.logger.error({ dedupKey: alert.dedupKey }, `unauthorized-access alert failed: ${sanitize(String(err))}`),
  ).finally(() => deps.alertsInFlight.delete(alert.dedupKey));
  return { alert: routed };
}
