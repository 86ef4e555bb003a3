import { formatAlert, type Alert, type AlertSeverity } from '../../domain/severity';
import type { AuditRecorder } from '../audit/trail';
import type { Logger } from '../logger';
import type { DeskMetrics } from '../metrics';
import { sanitize } from '../redact';

export type IncidentPhaseAction = 'acknowledge' | 'resolve';

/** An incident's phase change that a channel tracking incidents (a pager) follows. */
export interface IncidentPhaseEvent {
  /** The incident workflow id: the same key its alerts were paged under. */
  incident: string;
  action: IncidentPhaseAction;
  by: string;
  at: string;
  note: string;
}

/** Somewhere an alert can be delivered: the log, Telegram, a pager. */
export interface AlertChannel {
  readonly name: string;
  deliver(text: string, alert: Alert): Promise<void>;
  /** Only channels that keep incident state (PagerDuty) implement it; the others have nothing to update. */
  incidentPhase?(event: IncidentPhaseEvent): Promise<void>;
}

type DeliveryKind = 'alert' | IncidentPhaseAction | 'test';

/** One channel's outcome; the error is scrubbed of secrets. */
export interface ChannelResult {
  channel: string;
  ok: boolean;
  error?: string;
}

const split = (results: ChannelResult[]) => ({
  delivered: results.filter((r) => r.ok).map((r) => r.channel),
  failed: results.filter((r) => !r.ok).map((r) => r.channel),
});

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
  private readonly phasesSent = new Set<string>();

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
      /** Counts each channel's outcomes (warden_alert_deliveries_total). */
      metrics?: Pick<DeskMetrics, 'alertDeliveries'>;
      /** Channel names per level (config alerts.routes); unset, every channel takes every alert. The log always does. */
      routes?: Readonly<Record<AlertSeverity, readonly string[]>>;
    },
  ) {}

  /** The channels' names, in delivery order. */
  get channelNames(): string[] {
    return this.opts.channels.map((c) => c.name);
  }

  async route(alert: Alert, actor: string): Promise<AlertOutcome> {
    const now = this.opts.now?.() ?? Date.now();
    // The incident opens even when the message is a suppressed repeat: the runbook counts triggers.
    if (alert.incident && this.opts.onIncident) await this.opts.onIncident(alert);
    const window = this.opts.dedupWindowMs ?? 10 * 60_000;
    const mark = (c: AlertChannel) => `${c.name}\u0000${alert.dedupKey}`;
    const routed = this.opts.routes?.[alert.severity];
    // Per channel: a retry after Telegram failed goes to Telegram only, not to the log again.
    const due = this.opts.channels.filter((c) => {
      if (routed && c.name !== 'log' && !routed.includes(c.name)) return false;
      const last = this.lastSent.get(mark(c));
      return last === undefined || now - last >= window;
    });
    if (!due.length) return { delivered: [], failed: [], suppressed: true };
    // Marked before sending, so two routes of the same alert at once do not both go out.
    due.forEach((c) => this.lastSent.set(mark(c), now));
    const text = formatAlert(alert);
    const { delivered, failed } = split(await this.fanOut(due, 'alert', alert.dedupKey, actor, (c) => c.deliver(text, alert), `${alert.dedupKey}/${alert.at}`));
    due.filter((c) => failed.includes(c.name)).forEach((c) => this.lastSent.delete(mark(c)));
    await this.opts.audit.record({
      type: 'alert',
      actor,
      id: `alert/${alert.dedupKey}/${alert.at}/${delivered.join('+') || 'none'}`,
      data: { severity: alert.severity, condition: alert.name, message: alert.message, delivered: failed.length === 0 },
    });
    return { delivered, failed, suppressed: false };
  }

  /**
   * Tells the channels that track incidents that one was acknowledged or
   * resolved. A channel that already took this phase is not sent it again when
   * the caller retries after another channel failed.
   */
  async incidentPhase(event: IncidentPhaseEvent, actor: string): Promise<AlertOutcome> {
    const mark = (c: AlertChannel) => `${c.name}\u0000${event.incident}\u0000${event.action}`;
    const due = this.opts.channels.filter((c) => c.incidentPhase && !this.phasesSent.has(mark(c)));
    const { delivered, failed } = split(await this.fanOut(due, event.action, event.incident, actor, (c) => c.incidentPhase!(event)));
    due.filter((c) => delivered.includes(c.name)).forEach((c) => this.phasesSent.add(mark(c)));
    return { delivered, failed, suppressed: false };
  }

  /** Runs one delivery per channel at once (a slow channel delays none of the others) and records each outcome. */
  private async fanOut(channels: AlertChannel[], kind: DeliveryKind, key: string, actor: string, send: (c: AlertChannel) => Promise<void>, idKey = key): Promise<ChannelResult[]> {
    const settled = await Promise.allSettled(channels.map(send));
    const results = channels.map((c, i): ChannelResult => {
      const r = settled[i]!;
      return r.status === 'fulfilled' ? { channel: c.name, ok: true } : { channel: c.name, ok: false, error: sanitize(r.reason instanceof Error ? r.reason.message : String(r.reason)) };
    });
    for (const r of results) {
      const outcome = r.ok ? 'delivered' : 'failed';
      this.opts.metrics?.alertDeliveries.inc({ channel: r.channel, outcome });
      if (r.error) this.opts.logger.warn({ channel: r.channel, key, kind, error: r.error }, 'alert channel failed');
      // A delivery has one record (a retried write is a no-op); every failed attempt is its own record.
      await this.opts.audit.record({
        type: 'alert_delivery',
        actor,
        ...(r.ok && kind !== 'test' ? { id: `delivery/${r.channel}/${kind}/${idKey}`.slice(0, 200) } : {}),
        data: { channel: r.channel, kind, key, outcome, ...(r.error ? { error: r.error } : {}) },
      });
    }
    return results;
  }

  /** `warden alerts test`: one test alert on every channel, no dedup window, each outcome reported. */
  test(alert: Alert, actor: string): Promise<ChannelResult[]> {
    const text = formatAlert(alert);
    return this.fanOut(this.opts.channels, 'test', alert.dedupKey, actor, async (c) => {
      await c.deliver(text, alert);
      // A test page resolves itself at once: it must not stay open on the on-call's phone.
      await c.incidentPhase?.({ incident: alert.dedupKey, action: 'resolve', by: actor, at: alert.at, note: 'test alert' });
    });
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
