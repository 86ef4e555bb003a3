import { autoRetry, type AutoRetryOptions } from '@grammyjs/auto-retry';
import { Api, type Transformer } from 'grammy';
import type { MessageEntity } from 'grammy/types';
import type { Alert } from '../../domain/severity';
import { registerSecret, sanitize } from '../redact';
import type { SecretsStore } from '../secrets/types';
import type { AlertChannel } from './router';
import { errorMessage } from '../../domain/error-message';

/**
 * Bounded retries for every Telegram call the desk makes. The plugin's own
 * defaults retry forever; an alert or a reply must give up within seconds so
 * the caller (the alert activity, the bot) decides what happens next.
 * - 429 flood limits: waited out when `retry_after` <= maxDelaySeconds, at most
 *   twice (the plugin also waits after the last attempt: worst case ~9 s).
 * - 5xx and network errors: rethrown at once. The plugin's backoff for them
 *   starts at 3 s and doubles regardless of maxDelaySeconds, and its network
 *   retry loop has no bound at all.
 */
export const TELEGRAM_RETRY: Readonly<AutoRetryOptions> = {
  maxRetryAttempts: 2,
  maxDelaySeconds: 3,
  rethrowInternalServerErrors: true,
  rethrowHttpErrors: true,
};

export function boundedAutoRetry(overrides: Partial<AutoRetryOptions> = {}) {
  return autoRetry({ ...TELEGRAM_RETRY, ...overrides });
}

/**
 * Every outgoing Bot API call has its text fields scrubbed: alerts, replies and
 * edits carry whatever an error or an operator put in them (issue 13 item 6).
 */
export const scrubOutgoing: Transformer = (prev, method, payload, signal) => {
  // Top-level strings only (text, caption, query answers): keyboards and files keep their class and shape.
  const clean = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? sanitize(v) : v])) as typeof payload;
  return prev(method, clean, signal);
};

/** grammy's network errors carry the request URL (with the token) on `.error`; only a scrubbed message leaves here. */
export function describeTelegramError(err: unknown): string {
  const message = errorMessage(err);
  const cause = err instanceof Error && 'error' in err && err.error instanceof Error ? `: ${err.error.message}` : '';
  return sanitize(`${message}${cause}`);
}

/** Telegram rejects longer texts outright; an alert is better cut than lost. */
const TELEGRAM_MAX_TEXT = 4096;

export interface TelegramAlertChannelOptions {
  secrets: Pick<SecretsStore, 'getTelegramToken'>;
  chatId: number;
  /** Bot API root (a local Bot API server, or the test fake). */
  apiRoot?: string;
  retry?: Partial<AutoRetryOptions>;
  /** Per request; grammy's default is 500 s. */
  timeoutSeconds?: number;
}

/**
 * Delivers alerts to the operator chat as plain text (no parse mode, so a
 * message full of `_` or `*` cannot fail to parse). The token is read from the
 * secrets store on each delivery, so a rotated token is picked up when the
 * store's cache expires; it is never taken from env or argv.
 */
export class TelegramAlertChannel implements AlertChannel {
  readonly name = 'telegram';
  private client?: { token: string; api: Api };

  constructor(private readonly opts: TelegramAlertChannelOptions) {}

  async deliver(text: string, alert: Alert): Promise<void> {
    try {
      const api = await this.api();
      const { prefix, entities } = escalationMentions(alert);
      await api.sendMessage(this.opts.chatId, `${prefix}${text}`.slice(0, TELEGRAM_MAX_TEXT), {
        link_preview_options: { is_disabled: true },
        disable_notification: alert.severity === 'INFO',
        ...(entities.length ? { entities } : {}),
      });
    } catch (err) {
      // No `cause`: the original error holds the URL with the token in it.
      throw new Error(`telegram: alert ${alert.dedupKey} not delivered: ${describeTelegramError(err)}`);
    }
  }

  private async api(): Promise<Api> {
    const token = await this.opts.secrets.getTelegramToken();
    if (this.client?.token !== token) {
      // Also scrubbed if the store handing it out did not register it.
      registerSecret(token);
      const api = new Api(token, { apiRoot: this.opts.apiRoot, timeoutSeconds: this.opts.timeoutSeconds ?? 5 });
      api.config.use(scrubOutgoing);
      api.config.use(boundedAutoRetry(this.opts.retry));
      this.client = { token, api };
    }
    return this.client.api;
  }
}

/**
 * An escalation names its people in the chat so each one's phone rings: a `tg://user?id=` link over
 * each name is a mention without a username or a parse mode (Bot API MessageEntity `text_link`).
 * First in the message: the scrubber may shorten the alert text, and the offsets must stay true.
 */
export function escalationMentions(alert: Pick<Alert, 'escalateTo'>): { prefix: string; entities: MessageEntity[] } {
  const people = (alert.escalateTo ?? []).filter((c) => c.telegram !== undefined);
  if (!people.length) return { prefix: '', entities: [] };
  let prefix = '📣 ';
  const entities: MessageEntity[] = [];
  for (const [i, c] of people.entries()) {
    if (i > 0) prefix += ', ';
    // Offsets and lengths count UTF-16 code units, as JavaScript strings do.
    entities.push({ type: 'text_link', offset: prefix.length, length: c.name.length, url: `tg://user?id=${c.telegram}` });
    prefix += c.name;
  }
  return { prefix: `${prefix}\n`, entities };
}

export function createTelegramAlertChannel(
  secrets: Pick<SecretsStore, 'getTelegramToken'>,
  telegram: { chatId: number; apiRoot?: string },
  options: Pick<TelegramAlertChannelOptions, 'retry' | 'timeoutSeconds'> = {},
): TelegramAlertChannel {
  return new TelegramAlertChannel({ secrets, chatId: telegram.chatId, apiRoot: telegram.apiRoot, ...options });
}
