import type { WardenConfig } from '../config/schema';
import type { AlertChannel } from '../adapters/alerts/router';
import { LogAlertChannel } from '../adapters/alerts/router';
import type { Logger } from '../adapters/logger';
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
