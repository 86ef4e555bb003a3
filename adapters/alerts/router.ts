import { formatAlert, type Alert } from '../../domain/severity';
import type { AuditRecorder } from '../audit/trail';
import type { Logger } from '../logger';

/** Somewhere an alert can be delivered: the log, Telegram, a pager. */
export interface AlertChannel {
  readonly name: string;
  deliver(text: string, alert: Alert): Promise<void>;
}

export interface AlertOutcome {
  delivered: string[];
  failed: string[];
  suppressed: boolean;
}

/**
 * Routes an alert to every channel, suppresses repeats of the same condition
 * within a window (a flapping condition must not flood the chat), and audits
 * every alert, delivered or not. A channel failure is reported, not thrown
 * for the others; the caller (an activity) decides whether to retry.
 */
export class AlertRouter {
  private readonly lastSent = new Map<string, number>();

  constructor(
    private readonly opts: {
      channels: AlertChannel[];
      audit: AuditRecorder;
      logger: Logger;
      /** Same dedup key within this window is suppressed. */
      dedupWindowMs?: number;
      now?: () => number;
      /** Alerts the catalogue ties to an incident open (or re-trigger) one here. */
      onIncident?: (alert: Alert) => Promise<unknown> | undefined;
    },
  ) {}

  async route(alert: Alert, actor: string): Promise<AlertOutcome> {
    const now = this.opts.now?.() ?? Date.now();
    // The incident opens even when the message is a suppressed repeat: the runbook counts triggers.
    if (alert.incident && this.opts.onIncident) await this.opts.onIncident(alert);
    const window = this.opts.dedupWindowMs ?? 10 * 60_000;
    const mark = (c: AlertChannel) => `${c.name}\u0000${alert.dedupKey}`;
    // Per channel: a retry after Telegram failed goes to Telegram only, not to the log again.
    const due = this.opts.channels.filter((c) => {
      const last = this.lastSent.get(mark(c));
      return last === undefined || now - last >= window;
    });
    if (!due.length) return { delivered: [], failed: [], suppressed: true };
    // Marked before sending, so two routes of the same alert at once do not both go out.
    due.forEach((c) => this.lastSent.set(mark(c), now));
    const text = formatAlert(alert);
    const results = await Promise.allSettled(due.map((c) => c.deliver(text, alert)));
    const delivered = due.filter((_, i) => results[i]!.status === 'fulfilled').map((c) => c.name);
    const failed = due.filter((_, i) => results[i]!.status === 'rejected').map((c) => c.name);
    due.filter((c) => failed.includes(c.name)).forEach((c) => this.lastSent.delete(mark(c)));
    await this.opts.audit.record({
      type: 'alert',
      actor,
      id: `alert/${alert.dedupKey}/${alert.at}/${delivered.join('+') || 'none'}`,
      data: { severity: alert.severity, condition: alert.name, message: alert.message, delivered: failed.length === 0 },
    });
    return { delivered, failed, suppressed: false };
  }
}

/** Every alert lands in the structured log, whatever else is configured. */
export class LogAlertChannel implements AlertChannel {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}
  async deliver(text: string, alert: Alert): Promise<void> {
    const level = alert.severity === 'CRITICAL' ? 'error' : alert.severity === 'WARNING' ? 'warn' : 'info';
    this.logger[level]({ alert: alert.name, dedupKey: alert.dedupKey, severity: alert.severity }, text);
  }
}
