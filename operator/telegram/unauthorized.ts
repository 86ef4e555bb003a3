/**
 * What happens when someone who is not an operator (or not in the operator
 * chat) talks to the bot: nothing visible to them, and everything visible to
 * the operators: a refused audit event, the metric, and a WARNING alert.
 *
 * A refused message is a security event, not an emergency (issue 13): it opens
 * no incident and contains nothing, or any stranger could halt the desk by
 * typing "hi". SEV-1 `unauthorized_access` is kept for evidence that someone
 * else uses the desk's exchange keys.
 */
import type { AlertRouter } from '../../adapters/alerts/router';
import type { AuditRecorder } from '../../adapters/audit/trail';
import type { Logger } from '../../adapters/logger';
import type { DeskMetrics } from '../../adapters/metrics';
import { sanitize } from '../../adapters/redact';
import { makeAlert, type Alert } from '../../domain/severity';
import type { Refusal } from './authorize';
import { recordCommand } from './record';
import { formatDuration } from '../../domain/duration';

export const STRANGER_ALERT_WINDOW_MS = 10 * 60_000;
export const STRANGER_ALERT_SENDER_CAP = 5;

export type GateVerdict = { kind: 'alert' } | { kind: 'flood'; senders: number } | { kind: 'quiet' };

/**
 * Groups stranger alerts so a flood is one alert: at most one per sender per
 * window, and at most `cap` senders per window; past the cap, one flood alert,
 * then silence until the window moves on. Every attempt is still audited and
 * counted. Memory is bounded by the cap: only alerted senders are remembered.
 */
export class StrangerAlertGate {
  private readonly alerted = new Map<string, number>();
  private floodAlertAt: number | undefined;

  constructor(
    readonly windowMs = STRANGER_ALERT_WINDOW_MS,
    readonly cap = STRANGER_ALERT_SENDER_CAP,
  ) {}

  admit(sender: string, nowMs: number): GateVerdict {
    for (const [s, at] of this.alerted) if (nowMs - at >= this.windowMs) this.alerted.delete(s);
    if (this.floodAlertAt !== undefined && nowMs - this.floodAlertAt >= this.windowMs) this.floodAlertAt = undefined;
    if (this.alerted.has(sender)) return { kind: 'quiet' };
    if (this.alerted.size < this.cap) {
      this.alerted.set(sender, nowMs);
      return { kind: 'alert' };
    }
    if (this.floodAlertAt !== undefined) return { kind: 'quiet' };
    this.floodAlertAt = nowMs;
    return { kind: 'flood', senders: this.alerted.size + 1 };
  }
}

export interface RefusalDeps {
  audit: AuditRecorder;
  logger: Logger;
  alerts: AlertRouter;
  metrics?: Pick<DeskMetrics, 'unauthorizedAttempts'>;
  now: () => number;
  gate: StrangerAlertGate;
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
  const at = new Date(deps.now()).toISOString();
  const verdict = deps.gate.admit(user, deps.now());
  const window = formatDuration(deps.gate.windowMs);
  let alert: Alert;
  if (verdict.kind === 'quiet') return { alert: Promise.resolve() };
  if (verdict.kind === 'alert') {
    alert = makeAlert('unauthorized_operator_message', {
      message:
        `Telegram user ${user} in chat ${chat} tried ${a.what} on the operator bot (${a.why}). ` +
        `Refused and audited; no reply was sent and nothing was stopped. Further attempts by this user in the next ${window} are audited and counted, not alerted.`,
      at,
      scope: { subject: `tg-${user}` },
    });
  } else {
    alert = makeAlert('unauthorized_operator_message', {
      message:
        `More than ${deps.gate.cap} Telegram users were refused by the operator bot within ${window} (latest: user ${user} in chat ${chat}). ` +
        `Every attempt is audited and counted (warden_unauthorized_operator_attempts_total); no further stranger alert for ${window}. Nothing was stopped.`,
      at,
      scope: { subject: 'tg-flood' },
    });
  }
  const routed = deps.alerts.route(alert, 'operator-bot').then(
    (outcome) => {
      if (outcome.failed.length) deps.logger.error({ dedupKey: alert.dedupKey, failed: outcome.failed }, 'refused-message alert not delivered everywhere');
    },
    (err: unknown) => deps.logger.error({ dedupKey: alert.dedupKey }, `refused-message alert failed: ${sanitize(String(err))}`),
  );
  return { alert: routed };
}
