/**
 * Who may command the desk over Telegram: a configured numeric user id, in
 * the configured chat. Usernames are never consulted (their owners can change
 * them, and anyone can pick a free one).
 */
import type { Update } from 'grammy/types';
import type { Operator } from '../../clients/desk-control';
import { TELEGRAM_SYSTEM_USER_IDS } from '../../config/schema';
import { telegramOperator } from '../core/identity';

export { telegramOperator } from '../core/identity';

export interface TelegramAccess {
  chatId: number;
  operatorIds: readonly number[];
}

export type Refusal = 'no sender' | 'a bot or Telegram system account' | 'not an operator' | 'not the operator chat';

export type Verdict = { ok: true; operator: Operator } | { ok: false; why: Refusal };

export function authorize(sender: { userId?: number; chatId?: number; isBot?: boolean }, access: TelegramAccess): Verdict {
  if (sender.userId === undefined || sender.chatId === undefined) return { ok: false, why: 'no sender' };
  // Checked before the list, in case a config predating validation names one: nobody knows who is behind them.
  if (sender.isBot === true || TELEGRAM_SYSTEM_USER_IDS.includes(sender.userId)) return { ok: false, why: 'a bot or Telegram system account' };
  if (!access.operatorIds.includes(sender.userId)) return { ok: false, why: 'not an operator' };
  if (sender.chatId !== access.chatId) return { ok: false, why: 'not the operator chat' };
  return { ok: true, operator: telegramOperator(sender.userId) };
}

/**
 * What an update tried, for the audit trail and the alert: the command word
 * only, restricted to safe characters, because the rest is attacker-written text.
 */
export function describeAttempt(update: Update): string {
  const text = update.message?.text;
  if (text !== undefined) {
    const word = /^\/[A-Za-z0-9_@]{1,64}/.exec(text);
    return word ? word[0] : 'message';
  }
  if (update.callback_query) return 'button';
  const kind = Object.keys(update).find((k) => k !== 'update_id');
  return kind ? kind.replace(/[^a-z_]/g, '').slice(0, 32) || 'update' : 'update';
}
