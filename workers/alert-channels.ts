import type { WardenConfig } from '../config/schema';
import { makeAlert, type Alert } from '../domain/severity';
import type { AlertChannel } from '../adapters/alerts/router';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import type { AuditRecorder } from '../adapters/audit/trail';
import type { Logger } from '../adapters/logger';
import type { DeskMetrics } from '../adapters/metrics';
import type { SecretsStore } from '../adapters/secrets/types';

/** The log always; Telegram, PagerDuty and email when configured (their credentials come from the secrets store). */
export async function alertChannels(config: WardenConfig, secrets: SecretsStore, logger: Logger): Promise<AlertChannel[]> {
  const channels: AlertChannel[] = [new LogAlertChannel(logger)];
  if (config.telegram) {
    const { TelegramAlertChannel } = await import('../adapters/alerts/telegram');
    channels.push(new TelegramAlertChannel({ secrets, chatId: config.telegram.chatId, apiRoot: config.telegram.apiRoot }));
  }
  if (config.alerts.pagerduty) {
    const { PagerDutyAlertChannel } = await import('../adapters/alerts/pagerduty');
    channels.push(new PagerDutyAlertChannel({ secrets, config: config.alerts.pagerduty }));
  }
  if (config.alerts.email) {
    const { EmailAlertChannel } = await import('../adapters/alerts/email');
    channels.push(new EmailAlertChannel({ secrets, config: config.alerts.email }));
  }
  return channels;
}

/** The configured channels behind a router that follows alerts.routes, audited and (on a worker) counted. */
export async function createAlertRouter(
  config: WardenConfig,
  deps: { secrets: SecretsStore; logger: Logger; audit: AuditRecorder; metrics?: DeskMetrics; onIncident?: (alert: Alert) => Promise<unknown> | undefined },
): Promise<AlertRouter> {
  return new AlertRouter({
    channels: await alertChannels(config, deps.secrets, deps.logger),
    audit: deps.audit,
    logger: deps.logger,
    routes: config.alerts.routes,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.onIncident ? { onIncident: deps.onIncident } : {}),
  });
}

/**
 * One INFO test alert on every configured channel, whatever the routes say (the point is to prove each
 * channel works), each outcome audited: `warden alerts test` and `warden preflight`.
 */
export async function deliverTestAlert(
  config: WardenConfig,
  deps: { secrets: SecretsStore; logger: Logger; audit: AuditRecorder },
  actor: string,
  by: string,
): Promise<Array<{ channel: string; ok: boolean; error?: string }>> {
  const router = await createAlertRouter(config, deps);
  const at = new Date().toISOString();
  return router.test(makeAlert('daily_report', { message: `test alert from ${by} by ${actor}: no action needed`, at, scope: { subject: `alerts-test-${at}` } }), actor);
}
