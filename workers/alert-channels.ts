import type { WardenConfig } from '../config/schema';
import type { AlertChannel } from '../adapters/alerts/router';
import { LogAlertChannel } from '../adapters/alerts/router';
import type { Logger } from '../adapters/logger';
import type { SecretsStore } from '../adapters/secrets/types';

/** The log always; Telegram when the config names a chat (the token comes from the secrets store). */
export async function alertChannels(config: WardenConfig, secrets: SecretsStore, logger: Logger): Promise<AlertChannel[]> {
  const channels: AlertChannel[] = [new LogAlertChannel(logger)];
  if (config.telegram) {
    const { TelegramAlertChannel } = await import('../adapters/alerts/telegram');
    channels.push(new TelegramAlertChannel({ secrets, chatId: config.telegram.chatId, apiRoot: config.telegram.apiRoot }));
  }
  return channels;
}
