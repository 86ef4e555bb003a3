/**
 * The operator bot: the seed's Telegram kill switch (section 7) and the rest
 * of the desk's operator commands. Authorization comes first for every
 * update; what is Telegram's (forwards, stale messages, the /resume buttons)
 * is here, and every command then runs through the operator core
 * (operator/core/invoke.ts), the same path as the CLI's.
 */
import type { AutoRetryOptions } from '@grammyjs/auto-retry';
import { Bot, InlineKeyboard, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { AlertRouter } from '../../adapters/alerts/router';
import { boundedAutoRetry, describeTelegramError, scrubOutgoing } from '../../adapters/alerts/telegram';
import type { AuditRecorder } from '../../adapters/audit/trail';
import type { Logger } from '../../adapters/logger';
import type { DeskMetrics } from '../../adapters/metrics';
import { registerSecret } from '../../adapters/redact';
import type { DeskControl, Operator } from '../../clients/desk-control';
import { isCoreCommand, parseOperatorCommand, type StopFallback } from '../core/commands';
import { invoke, perform, type OperatorCoreDeps } from '../core/invoke';
import { authorize, describeAttempt, telegramOperator } from './authorize';
import { COMMANDS, parseCallbackData, readCommandLine, resumeCallbackData, telegramArgs, telegramCommand, unknownCommand } from './commands';
import { ResumeConfirmations } from './confirmations';
import { formatHelp, formatResumePrompt } from './format';
import { recordCommand, telegramAudit } from './record';
import { refuseUnauthorized, StrangerAlertGate } from './unauthorized';

export interface OperatorBotOptions {
  /** From the secrets store (`getTelegramToken()`), never env or argv. */
  token: string;
  apiRoot?: string;
  /** `maxCommandAgeSeconds`: older commands are refused as stale (default 120; /stop still runs). */
  telegram: { chatId: number; operatorIds: readonly number[]; maxCommandAgeSeconds?: number };
  desk: DeskControl;
  /** `/stop` cancels directly at the venues for sessions the desk does not confirm in time. */
  stopFallback?: StopFallback;
  audit: AuditRecorder;
  alerts: AlertRouter;
  metrics?: Pick<DeskMetrics, 'unauthorizedAttempts'>;
  logger: Logger;
  /** Preset identity: skips getMe (tests, or a caller that already knows it). */
  botInfo?: UserFromGetMe;
  /** How long a /resume confirmation button stays valid. Default 5 minutes. */
  confirmTtlMs?: number;
  now?: () => number;
  retry?: Partial<AutoRetryOptions>;
  /** Groups stranger alerts (default: one per sender per 10 min, at most 5 senders per 10 min). */
  strangerAlerts?: StrangerAlertGate;
}

export interface OperatorBot {
  bot: Bot;
  /** Registers the command menu for the operator chat, then long-polls until stop(). Rejects if the token is refused (401). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once background work (refused-message alerts) has finished. */
  idle(): Promise<void>;
}

const NO_PREVIEW = { link_preview_options: { is_disabled: true } } as const;

const errorMessage = (err: unknown) => describeTelegramError(err).slice(0, 200);

export function createOperatorBot(opts: OperatorBotOptions): OperatorBot {
  // Scrubbed from every log line even if the caller's store did not register it.
  registerSecret(opts.token);
  const logger = opts.logger.child({ component: 'operator-bot' });
  const now = opts.now ?? Date.now;
  const deps = { audit: opts.audit, logger, alerts: opts.alerts, metrics: opts.metrics, now, gate: opts.strangerAlerts ?? new StrangerAlertGate() };
  const core: OperatorCoreDeps = {
    desk: () => Promise.resolve(opts.desk),
    stop: opts.stopFallback ?? { configuredSessions: [] },
    audit: telegramAudit(deps),
    auditReads: true,
  };
  const maxAgeMs = (opts.telegram.maxCommandAgeSeconds ?? 120) * 1000;
  const confirmations = new ResumeConfirmations(opts.confirmTtlMs ?? 5 * 60_000, now);
  const background = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    background.add(p);
    void p.finally(() => background.delete(p));
  };
  /** Telegram UI niceties (button spinners, edits) must never block or undo a command. */
  const quietly = (what: string, p: Promise<unknown>) => p.catch((err: unknown) => logger.warn(`${what} failed: ${errorMessage(err)}`));

  const bot = new Bot(opts.token, { botInfo: opts.botInfo, client: opts.apiRoot ? { apiRoot: opts.apiRoot } : {} });
  bot.api.config.use(scrubOutgoing);
  bot.api.config.use(boundedAutoRetry(opts.retry));
  // Without a handler grammy stops polling on the first error; a reply that fails must not kill the kill switch.
  bot.catch((err) => logger.error({ updateId: err.ctx.update.update_id }, `operator bot: ${errorMessage(err.error)}`));

  // 1. Authorization, before anything else looks at the update. Refused senders get no reply at all;
  // bots and Telegram's system accounts are never operators, whatever the config says.
  bot.use(async (ctx, next) => {
    const verdict = authorize({ userId: ctx.from?.id, chatId: ctx.chat?.id, isBot: ctx.from?.is_bot }, opts.telegram);
    if (verdict.ok) return next();
    const { alert } = await refuseUnauthorized(deps, {
      userId: ctx.from?.id,
      chatId: ctx.chat?.id,
      username: ctx.from?.username,
      what: describeAttempt(ctx.update),
      why: verdict.why,
    });
    track(alert);
  });

  // 2. Commands: new text messages only (an edited "/stop" must not run again).
  bot.on('message:text', async (ctx) => {
    const line = readCommandLine(ctx.message.text, ctx.me.username);
    if (!line) return;
    const op = telegramOperator(ctx.from.id);
    const reply = (text: string) => ctx.reply(text, NO_PREVIEW);
    // Audited under the core's name where there is one (/ack is `incident ack` on every channel).
    const audited = (word: string) => {
      const core = telegramCommand(word)?.spec.core;
      return core && core !== 'help' ? core : word;
    };
    const refuse = async (command: string, why: string, text: string) => {
      await recordCommand(deps, op, audited(command), 'refused', why);
      await reply(text);
    };
    const word = line.kind === 'command' ? line.name.slice(0, 32) : line.command;
    // A forward carries someone else's words: an operator forwarding a stranger's /approve must not approve it.
    if (ctx.message.forward_origin || ctx.message.is_automatic_forward) {
      return refuse(word, `forwarded message (from ${ctx.message.forward_origin?.type ?? 'a linked channel'})`, 'Forwarded messages are never executed. Nothing was done: send the command yourself.');
    }
    if (line.kind === 'malformed') return refuse(line.command, line.problem.split('\n')[0]!, line.problem);
    const found = telegramCommand(line.name);
    if (!found) {
      await recordCommand(deps, op, word, 'failed', unknownCommand(line.name));
      return void (await reply(unknownCommand(line.name)));
    }
    const { spec } = found;
    const ageMs = now() - ctx.message.date * 1000;
    const stale = (): { why: string; reply: string } | undefined => {
      // A command delivered late (the bot was down, the network held it) may no longer be what the operator means.
      // The kill switch is the exception: stopping late is still safe, refusing it is not.
      if (ageMs <= maxAgeMs || spec.core === 'stop') return undefined;
      const age = Math.round(ageMs / 1000);
      return {
        why: `stale: sent ${age} s ago (limit ${maxAgeMs / 1000} s)`,
        reply: `/${word} was sent ${age} s ago, older than the ${maxAgeMs / 1000} s limit: refused as stale. Nothing was done: send it again if you still mean it.`,
      };
    };
    if (spec.core === 'help') {
      const refusal = stale();
      if (refusal) return refuse(word, refusal.why, refusal.reply);
      await recordCommand(deps, op, 'help', 'accepted', 'read');
      return void (await reply(formatHelp()));
    }
    const result = await invoke(core, {
      op,
      name: spec.core,
      raw: telegramArgs(spec, line.rest),
      guard: stale,
      ...(line.note ? { note: line.note } : {}),
      askFirst: (prepared) => askToResume(ctx, op, 'reason' in prepared.command ? prepared.command.reason : ''),
    });
    if (result.kind === 'asked') return;
    await reply(result.kind === 'invalid' ? `${result.text}\nUsage: ${spec.usage}` : result.text);
  });

  /** Sends the confirmation buttons; the core audits the request once they are out. */
  async function askToResume(ctx: Context & { chat: { id: number } }, op: Operator, reason: string): Promise<void> {
    const pending = confirmations.create(op.id, reason, ctx.chat.id);
    const keyboard = new InlineKeyboard().text('Confirm resume', resumeCallbackData('confirm', pending.nonce)).text('Cancel', resumeCallbackData('cancel', pending.nonce));
    const sent = await ctx.reply(formatResumePrompt(reason, Math.round(confirmations.ttlMs / 60_000)), { reply_markup: keyboard, ...NO_PREVIEW });
    confirmations.bind(pending.nonce, sent.message_id);
  }

  // 3. The /resume buttons. Only here, from an authorized presser, does trading resume.
  bot.on('callback_query:data', async (ctx) => {
    const op = telegramOperator(ctx.from.id);
    const data = parseCallbackData(ctx.callbackQuery.data);
    const message = ctx.callbackQuery.message;
    if (!data || !message) {
      await quietly('answerCallbackQuery', ctx.answerCallbackQuery({ text: 'Unknown button.' }));
      return;
    }
    const command = `resume:${data.action}`;
    const taken = confirmations.take(data.nonce, message.chat.id, message.message_id);
    if (!taken.ok) {
      await recordCommand(deps, op, command, 'failed', taken.why === 'expired' ? 'confirmation expired' : 'confirmation unknown or already used');
      await quietly('answerCallbackQuery', ctx.answerCallbackQuery({ text: 'This button is no longer valid. Send /resume again.', show_alert: true }));
      // An already-used button keeps the result it shows; an expired one says so.
      if (taken.why === 'expired') await quietly('editMessageText', ctx.editMessageText('Resume: confirmation expired, nothing was done.'));
      return;
    }
    const { reason, requestedBy } = taken.pending;
    if (data.action === 'cancel') {
      await recordCommand(deps, op, command, 'accepted', `resume requested by ${requestedBy} cancelled`);
      await quietly('answerCallbackQuery', ctx.answerCallbackQuery({ text: 'Cancelled.' }));
      await quietly('editMessageText', ctx.editMessageText(`Resume cancelled by ${op.id}. Nothing was done.`));
      return;
    }
    await quietly('answerCallbackQuery', ctx.answerCallbackQuery({ text: 'Resuming...' }));
    // The reason was checked when /resume was sent; it is read again by the same rules.
    const parsed = parseOperatorCommand('resume', { reason }, 'telegram');
    if (!parsed.ok) throw new Error(`resume confirmation: ${parsed.problem.message}`);
    const result = await perform(core, op, parsed.prepared, { auditAs: command, auditNote: `requested by ${requestedBy}:` });
    if (result.kind === 'done' || result.kind === 'failed') await ctx.editMessageText(result.text);
  });

  async function idle(): Promise<void> {
    while (background.size) await Promise.allSettled([...background]);
  }

  return {
    bot,
    idle,
    async start() {
      const menu = Object.entries(COMMANDS).map(([command, spec]) => ({ command, description: spec.summary.slice(0, 256) }));
      // Scoped to the operator chat: strangers who find the bot see no menu.
      await quietly('setMyCommands', bot.api.setMyCommands(menu, { scope: { type: 'chat', chat_id: opts.telegram.chatId } }));
      await bot.start({
        allowed_updates: ['message', 'callback_query'],
        onStart: (me) => logger.info({ bot: me.username, chatId: opts.telegram.chatId }, 'operator bot polling'),
      });
    },
    async stop() {
      await bot.stop();
      await idle();
    },
  };
}
