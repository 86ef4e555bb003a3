import { Writable } from 'node:stream';
import type { Update } from 'grammy/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertRouter } from '../adapters/alerts/router';
import { TelegramAlertChannel } from '../adapters/alerts/telegram';
import type { AuditEvent } from '../adapters/audit/events';
import type { Alert } from '../domain/severity';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { createMetrics, type DeskMetrics } from '../adapters/metrics';
import { createOperatorBot, type OperatorBot } from '../operator/telegram/bot';
import type { DirectCanceller, DirectCancelResult } from '../operator/kill-switch';
import { openTempTrail } from './helpers/audit';
import { FakeDesk } from './helpers/fake-desk';
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram, type RecordedCall, type Sender, type TextOptions } from './helpers/fake-telegram';

const CHAT = -1001234567890;
const OPERATOR = 111111;
const SECOND_OPERATOR = 222222;
const STRANGER = 999999;

const op: Sender = { userId: OPERATOR, chatId: CHAT };
const op2: Sender = { userId: SECOND_OPERATOR, chatId: CHAT };

let fake: FakeTelegram;
let desk: FakeDesk;
let trail: AuditTrail;
let metrics: DeskMetrics;
let logs: string[];
let clock: number;
let ob: OperatorBot;
/** Alerts the router would have opened incidents for. */
let incidents: Alert[];

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination: stream }) };
}

function makeBot(overrides: { botInfo?: boolean; operatorIds?: number[] } = {}): OperatorBot {
  const captured = captureLogger();
  logs = captured.lines;
  const alerts = new AlertRouter({
    channels: [new TelegramAlertChannel({ secrets: { getTelegramToken: async () => fake.token }, chatId: CHAT, apiRoot: fake.apiRoot })],
    audit: trail,
    logger: captured.logger,
    now: () => clock,
    onIncident: (a) => {
      incidents.push(a);
      return Promise.resolve();
    },
  });
  return createOperatorBot({
    token: fake.token,
    apiRoot: fake.apiRoot,
    telegram: { chatId: CHAT, operatorIds: overrides.operatorIds ?? [OPERATOR, SECOND_OPERATOR] },
    desk,
    stopFallback: { configuredSessions: ['binance/main', 'okx/main'], direct: async () => direct },
    audit: trail,
    alerts,
    metrics,
    logger: captured.logger,
    botInfo: overrides.botInfo === false ? undefined : fake.botInfo,
    confirmTtlMs: 2 * 60_000,
    now: () => clock,
  });
}

const send = (s: Sender, text: string, opts?: TextOptions) => ob.bot.handleUpdate(textUpdate(s, text, opts));
const replies = () => fake.sentTo(CHAT);
const lastReply = () => replies().at(-1) ?? '';
const commandEvents = () => trail.events().filter((e: AuditEvent) => e.type === 'operator_command');
const lastCommand = () => commandEvents().at(-1)?.data;
const unauthorizedCount = async () => (await metrics.unauthorizedAttempts.get()).values.find((v) => v.labels.channel === 'telegram')?.value ?? 0;

beforeAll(async () => {
  fake = await startFakeTelegram();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(async () => {
  fake.reset();
  desk = new FakeDesk();
  trail = await openTempTrail();
  metrics = createMetrics();
  clock = Date.parse('2025-01-15T14:00:00Z');
  incidents = [];
  ob = makeBot();
});

afterEach(async () => {
  await ob.idle();
  // Whatever the test did, the token is in no log line and no audit event.
  expect(logs.join('')).not.toContain(fake.token);
  expect(JSON.stringify(trail.events())).not.toContain(fake.token);
  await trail.close();
});

/** The bot's direct canceller: records whom it was asked to cancel, answers as the test sets. */
const directCalls: string[][] = [];
let directAnswer: (session: string) => DirectCancelResult = (session) => ({ session, ok: true, cancelled: 2 });
const direct: DirectCanceller = {
  async cancel(sessions) {
    directCalls.push(sessions.map((u) => u.session));
    return sessions.map((u) => directAnswer(u.session));
  },
};

describe('/stop: the kill switch', () => {
  it('names a session the desk did not confirm, in plain words, and cancels it directly at the venue', async () => {
    directCalls.length = 0;
    directAnswer = (session) => ({ session, ok: true, cancelled: 2 });
    desk.unconfirmed = [{ session: 'okx/main', recorded: true, why: 'stop recorded; no worker answered; orders NOT yet cancelled' }];
    await send(op, '/stop venue weird');
    const text = lastReply();
    expect(text).toContain('okx/main: stop recorded; no worker answered; orders NOT yet cancelled');
    expect(text).toContain('cancelled directly at the venue: 2 orders (audited)');
    expect(directCalls).toEqual([['okx/main']]);
    expect(lastCommand()).toMatchObject({ command: 'stop', outcome: 'accepted' });
    expect(String(lastCommand()?.detail)).toContain('okx/main direct 2 cancelled');
  });

  it('when the direct cancel fails too, says orders may remain, to revoke the keys, and audits a failure', async () => {
    directAnswer = (session) => ({ session, ok: false, cancelled: 0, error: 'okx: 503 maintenance' });
    desk.unconfirmed = [{ session: 'okx/main', recorded: true, why: 'stop recorded; no worker answered; orders NOT yet cancelled' }];
    await send(op, '/stop');
    const text = lastReply();
    expect(text).toMatch(/^STOP NOT CONFIRMED: open orders may remain\./);
    expect(text).toContain('direct cancel at the venue FAILED: okx: 503 maintenance. Revoke the exchange API keys at the exchange now.');
    expect(lastCommand()).toMatchObject({ command: 'stop', outcome: 'failed' });
  });

  it('calls desk.stopAll at once, with no confirmation, and reports what each session cancelled', async () => {
    await send(op, '/stop exchange acting weird');
    expect(desk.calls).toEqual([{ method: 'stopAll', args: [{ id: 'tg:111111', channel: 'telegram' }, 'exchange acting weird'] }]);
    const text = lastReply();
    expect(text).toContain('STOPPED 2 sessions, 3 orders cancelled.');
    expect(text).toContain('binance/main: 2 orders cancelled (BTC/USDT, ETH/USDT)');
    expect(text).toContain('okx/main: 1 order cancelled (BTC/USDT)');
    expect(fake.callsTo('sendMessage')[0]!.payload.reply_markup).toBeUndefined();
    expect(fake.callsTo('sendMessage')[0]!.payload.parse_mode).toBeUndefined();
    expect(lastCommand()).toMatchObject({ operator: 'tg:111111', channel: 'telegram', command: 'stop', outcome: 'accepted' });
    expect(String(lastCommand()?.detail)).toContain('3 order(s) cancelled');
  });

  it('works without a reason and with the bot name suffix used in groups', async () => {
    await send(op, '/stop@WardenTestBot');
    expect(desk.callsTo('stopAll')[0]!.args[1]).toBe('kill switch via Telegram');
  });

  it('with Temporal unreachable: says the stop is NOT recorded, cancels every configured session directly, audits a failure', async () => {
    directCalls.length = 0;
    directAnswer = (session) => ({ session, ok: true, cancelled: 1 });
    desk.failNext('stopAll', new Error('temporal unavailable'));
    await send(op, '/stop');
    const text = lastReply();
    expect(text).toContain('binance/main: stop NOT recorded: Temporal unreachable (temporal unavailable); orders NOT yet cancelled');
    expect(text).toContain('cancelled directly at the venue: 1 order (audited)');
    expect(text).toContain('Run `warden stop` again once Temporal answers');
    expect(directCalls).toEqual([['binance/main', 'okx/main']]);
    // Orders cancelled, but no stop recorded: the sessions would trade again, so it is a failure.
    expect(lastCommand()).toMatchObject({ command: 'stop', outcome: 'failed' });
  });

  it('ignores an edited "/stop" and commands addressed to another bot', async () => {
    const edited = textUpdate(op, '/stop') as Update & { message: NonNullable<Update['message']> };
    await ob.bot.handleUpdate({ update_id: edited.update_id, edited_message: { ...edited.message, edit_date: 1 } } as Update);
    await send(op, '/stop@SomeOtherBot');
    expect(desk.calls).toEqual([]);
    expect(fake.calls).toEqual([]);
  });
});

describe('operator commands', () => {
  it.each([
    // Audited under the core's name, the same on every channel: /status is `sessions`.
    ['/status', 'sessions', ['binance/main: TRADING', 'value $42,500.50, day -1.20%, dd +3.40%', 'breaker closed, 2 open orders', 'last tick 2025-01-15 14:00 UTC on worker-a']],
    ['/balance', 'sessions', ['binance/main:', '  BTC 0.5 (0.1 in orders)', '  USDT 10,000']],
    ['/pnl', 'sessions', ['binance/main: $42,500.50, day -1.20%, dd +3.40%\n', 'okx/main: $42,500.50, day -1.20%, dd +3.40%; realized $12.50, unrealized -$3.25, fees $1.20, fill rate 75%', 'Total: $85,001.00']],
    ['/rebalances', 'rebalances', ['rb-1 binance/main: waiting for your transfer, need $5,000.00 (warm $3,200.00)', '/approve <id> <amountUsd> <reference>']],
    ['/incidents', 'incidents', ['inc-1 SEV-2 containment: exchange outage (opened 2025-01-15 14:00 UTC, not acked)']],
  ] as const)('%s reads from the desk and answers in plain text', async (text, method, expected) => {
    await send(op, text);
    expect(desk.calls.map((c) => c.method)).toEqual([method]);
    for (const line of expected) expect(lastReply()).toContain(line);
    expect(lastCommand()).toMatchObject({ operator: 'tg:111111', command: text === '/status' ? 'sessions' : text.slice(1), outcome: 'accepted' });
  });

  it('/help lists every command, kill switch first', async () => {
    await send(op, '/help');
    const text = lastReply();
    expect(text.split('\n')[0]).toMatch(/^\/stop \[reason\]: KILL SWITCH/);
    for (const c of ['/status', '/pause', '/resume', '/balance', '/pnl', '/rebalances', '/approve <id> <amountUsd> <reference>', '/reject <id> <reason>', '/incidents', '/incident <SEV-1..SEV-4> <summary>', '/ack <id>']) {
      expect(text).toContain(c);
    }
    expect(desk.calls).toEqual([]);
  });

  it('/pause pauses every session with the operator and reason', async () => {
    await send(op, '/pause   spread too wide\nfor now');
    expect(desk.calls).toEqual([{ method: 'pauseAll', args: [{ id: 'tg:111111', channel: 'telegram' }, 'spread too wide for now'] }]);
    expect(lastReply()).toBe('Paused 2 sessions. Reason: spread too wide for now\nbinance/main: paused\nokx/main: paused');
  });

  it('/approve confirms the manual transfer with amount and reference', async () => {
    await send(op, '/approve rb-1 $5000.50 TX 0xabc123');
    expect(desk.calls).toEqual([
      { method: 'confirmTransfer', args: ['rb-1', { id: 'tg:111111', channel: 'telegram' }, { amountUsd: 5000.5, reference: 'TX 0xabc123' }] },
    ]);
    expect(lastReply()).toContain('Transfer of $5,000.50 recorded (ref TX 0xabc123).');
    expect(lastReply()).toContain('rb-1 binance/main: confirming the balance');
  });

  it('/reject rejects a rebalance with the reason', async () => {
    await send(op2, '/reject rb-1 amount looks wrong');
    expect(desk.calls).toEqual([{ method: 'rejectRebalance', args: ['rb-1', { id: 'tg:222222', channel: 'telegram' }, 'amount looks wrong'] }]);
    expect(lastReply()).toContain('rb-1 binance/main: rejected');
  });

  it('/incident declares and /ack acknowledges', async () => {
    await send(op, '/incident sev-2 binance returns 503 on every call');
    expect(desk.calls[0]).toEqual({
      method: 'declareIncident',
      args: [{ id: 'tg:111111', channel: 'telegram' }, { severity: 'SEV-2', summary: 'binance returns 503 on every call' }],
    });
    expect(lastReply()).toContain('inc-2 SEV-2 detection: binance returns 503 on every call');
    await send(op2, '/ack inc-2');
    expect(desk.calls[1]).toEqual({ method: 'acknowledgeIncident', args: ['inc-2', { id: 'tg:222222', channel: 'telegram' }] });
    expect(lastReply()).toContain('acked by tg:222222');
  });

  it('a desk failure is answered and audited, scrubbed of secrets', async () => {
    desk.failNext('incidents', new Error(`GET ${fake.apiRoot}/bot${fake.token}/getMe failed`));
    await send(op, '/incidents');
    expect(lastReply()).toMatch(/^Failed: GET .*\/bot\[REDACTED\]\/getMe failed$/);
    expect(lastCommand()).toMatchObject({ command: 'incidents', outcome: 'failed' });
  });
});

describe('argument validation', () => {
  it.each([
    ['/approve rb-1 abc TX1', 'amountUsd: must be a positive number'],
    ['/approve rb-1 0 TX1', 'amountUsd: must be a positive number'],
    ['/approve rb-1 -5 TX1', 'amountUsd: must be a positive number'],
    ['/approve rb-1 100.123 TX1', 'amountUsd: must be a positive number'],
    ['/approve rb-1 5000', 'reference: required'],
    ['/approve', 'id: required'],
    ['/approve rb;1 5000 TX1', 'id: must be an id'],
    ['/reject rb-1', 'reason: required'],
    ['/incident SEV-9 bad', 'severity: must be one of SEV-1, SEV-2, SEV-3, SEV-4'],
    ['/incident SEV-1', 'summary: required'],
    ['/ack', 'id: required'],
    [`/pause ${'x'.repeat(501)}`, 'reason: must be at most 500 characters'],
  ])('%s -> "%s", and nothing changes', async (text, error) => {
    await send(op, text);
    expect(desk.calls).toEqual([]);
    expect(lastReply()).toContain(error);
    expect(lastReply()).toMatch(/\nUsage: \//);
    expect(lastCommand()).toMatchObject({ operator: 'tg:111111', outcome: 'failed' });
  });

  it('answers an unknown command with a pointer to /help', async () => {
    await send(op, '/withdraw everything');
    expect(desk.calls).toEqual([]);
    expect(lastReply()).toBe('unknown command /withdraw. Send /help for the list.');
  });
});

describe('/resume needs a confirmation button', () => {
  async function askResume(): Promise<{ confirm: string; cancel: string; messageId: number }> {
    await send(op, '/resume breaker reviewed');
    const prompt = fake.callsTo('sendMessage').at(-1)!;
    const keyboard = (prompt.payload.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard.flat();
    const messageId = (prompt.response!.result as { message_id: number }).message_id;
    return { confirm: keyboard.find((b) => b.text === 'Confirm resume')!.callback_data, cancel: keyboard.find((b) => b.text === 'Cancel')!.callback_data, messageId };
  }
  const press = (s: Sender, data: string, messageId: number) => ob.bot.handleUpdate(callbackUpdate(s, data, messageId));
  const edits = () => fake.callsTo('editMessageText').map((c: RecordedCall) => String(c.payload.text));

  it('asks first, and resumes only when an operator confirms', async () => {
    const { confirm, messageId } = await askResume();
    expect(desk.calls).toEqual([]);
    expect(lastReply()).toContain('Resume trading on every session?\nReason: breaker reviewed');
    expect(lastCommand()).toMatchObject({ command: 'resume', outcome: 'accepted', detail: 'reason "breaker reviewed"; awaiting confirmation' });

    await press(op2, confirm, messageId);
    expect(desk.calls).toEqual([{ method: 'resumeAll', args: [{ id: 'tg:222222', channel: 'telegram' }, 'breaker reviewed'] }]);
    expect(fake.callsTo('answerCallbackQuery')).toHaveLength(1);
    expect(edits().at(-1)).toBe('Resumed 2 sessions. Reason: breaker reviewed\nbinance/main: trading\nokx/main: trading');
    expect(lastCommand()).toMatchObject({ operator: 'tg:222222', command: 'resume:confirm', outcome: 'accepted' });

    // A double tap acts once.
    await press(op2, confirm, messageId);
    expect(desk.callsTo('resumeAll')).toHaveLength(1);
  });

  it('does nothing for an unauthorized presser: no resume, no answer, refused and alerted', async () => {
    const { confirm, messageId } = await askResume();
    const before = fake.calls.length;
    await press({ userId: STRANGER, chatId: CHAT }, confirm, messageId);
    await ob.idle();
    expect(desk.calls).toEqual([]);
    const after = fake.calls.slice(before);
    expect(after.map((c) => c.method)).toEqual(['sendMessage']);
    expect(String(after[0]!.payload.text)).toContain('⚠️ WARNING: Refused operator message: Telegram user 999999');
    expect(lastCommand()).toMatchObject({ operator: 'tg:999999', command: 'button', outcome: 'refused' });
    // The button still works for an operator afterwards.
    await press(op, confirm, messageId);
    expect(desk.callsTo('resumeAll')).toHaveLength(1);
  });

  it('cancel aborts', async () => {
    const { cancel, confirm, messageId } = await askResume();
    await press(op, cancel, messageId);
    expect(edits().at(-1)).toBe('Resume cancelled by tg:111111. Nothing was done.');
    await press(op, confirm, messageId);
    expect(desk.calls).toEqual([]);
    expect(commandEvents().map((e) => [e.data.command, e.data.outcome])).toEqual([
      ['resume', 'accepted'],
      ['resume:cancel', 'accepted'],
      ['resume:confirm', 'failed'],
    ]);
  });

  it('an expired button does nothing', async () => {
    const { confirm, messageId } = await askResume();
    clock += 2 * 60_000 + 1;
    await press(op, confirm, messageId);
    expect(desk.calls).toEqual([]);
    expect(edits().at(-1)).toBe('Resume: confirmation expired, nothing was done.');
    expect(lastCommand()).toMatchObject({ command: 'resume:confirm', outcome: 'failed', detail: 'confirmation expired' });
  });

  it('a confirm button only works on the message it was sent with', async () => {
    const { confirm, messageId } = await askResume();
    await press(op, confirm, messageId + 1);
    expect(desk.calls).toEqual([]);
    await press(op, confirm, messageId);
    expect(desk.callsTo('resumeAll')).toHaveLength(1);
  });
});

describe('unauthorized senders', () => {
  async function expectRefused(sender: Sender, text: string, why: string): Promise<void> {
    await send(sender, text);
    await ob.idle();
    expect(desk.calls).toEqual([]);
    // Nothing at all goes back to the sender's chat; the only message is the alert to the operators.
    if (sender.chatId !== CHAT) expect(fake.sentTo(sender.chatId)).toEqual([]);
    expect(fake.callsTo('sendMessage')).toHaveLength(1);
    const [alert] = replies();
    expect(alert).toBe(
      `⚠️ WARNING: Refused operator message: Telegram user ${sender.userId} in chat ${sender.chatId} tried /stop on the operator bot (${why}). ` +
        'Refused and audited; no reply was sent and nothing was stopped. Further attempts by this user in the next 10 min are audited and counted, not alerted.',
    );
    expect(lastCommand()).toMatchObject({ operator: `tg:${sender.userId}`, channel: 'telegram', command: '/stop', outcome: 'refused' });
    const alertEvent = trail.events().find((e) => e.type === 'alert');
    expect(alertEvent?.data).toMatchObject({ severity: 'WARNING', condition: 'unauthorized_operator_message', delivered: true });
    expect(alertEvent?.id).toContain(`unauthorized_operator_message:tg-${sender.userId}`);
    expect(await unauthorizedCount()).toBe(1);
    // A security event, not an emergency: no incident, so no containment and no isolation.
    expect(incidents).toEqual([]);
  }

  it('a stranger writing to the bot directly', async () => {
    await expectRefused({ userId: STRANGER, chatId: STRANGER, username: 'admin_support' }, '/stop', 'not an operator');
    // The username is audited for the investigation but decides nothing.
    expect(String(lastCommand()?.detail)).toBe(`not an operator: user ${STRANGER} (@admin_support) in chat ${STRANGER}`);
  });

  it('a stranger inside the operator chat', async () => {
    await expectRefused({ userId: STRANGER, chatId: CHAT }, '/stop', 'not an operator');
  });

  it('an operator writing from another chat', async () => {
    await expectRefused({ userId: OPERATOR, chatId: -100777 }, '/stop', 'not the operator chat');
  });

  it('a username that matches an operator is still a stranger', async () => {
    await send({ userId: STRANGER, chatId: STRANGER, username: 'op' }, '/status');
    await ob.idle();
    expect(desk.calls).toEqual([]);
    expect(fake.sentTo(STRANGER)).toEqual([]);
  });

  it('repeated attempts are all audited and counted, and alerted once per user', async () => {
    const stranger = { userId: STRANGER, chatId: STRANGER };
    await send(stranger, '/stop');
    await send(stranger, '/resume');
    await send({ userId: 888888, chatId: 888888 }, 'hello');
    await ob.idle();
    expect(commandEvents().map((e) => [e.data.operator, e.data.command, e.data.outcome])).toEqual([
      ['tg:999999', '/stop', 'refused'],
      ['tg:999999', '/resume', 'refused'],
      ['tg:888888', 'message', 'refused'],
    ]);
    expect(await unauthorizedCount()).toBe(3);
    expect(replies().map((t) => /Telegram user (\d+)/.exec(t)?.[1])).toEqual(['999999', '888888']);
  });

  it('a flood is one alert: one per sender per 10 min, at most 5 senders, then one flood alert; all audited and counted, no incident', async () => {
    for (let i = 0; i < 20; i++) await send({ userId: 500_000 + i, chatId: 500_000 + i }, 'hi');
    for (let i = 0; i < 5; i++) await send({ userId: 500_000, chatId: 500_000 }, '/stop');
    await ob.idle();
    expect(await unauthorizedCount()).toBe(25);
    expect(commandEvents().filter((e) => e.data.outcome === 'refused')).toHaveLength(25);
    const alerts = replies();
    expect(alerts).toHaveLength(6);
    expect(alerts.slice(0, 5).map((t) => /Telegram user (\d+)/.exec(t)?.[1])).toEqual(['500000', '500001', '500002', '500003', '500004']);
    expect(alerts[5]).toMatch(/^⚠️ WARNING: Refused operator message: More than 5 Telegram users were refused by the operator bot within 10 min \(latest: user 500005/);
    expect(incidents).toEqual([]);
    expect(desk.calls).toEqual([]);
    // The next window: the same sender is alerted once more.
    clock += 10 * 60_000;
    await send({ userId: 500_000, chatId: 500_000 }, 'hi again');
    await ob.idle();
    expect(replies()).toHaveLength(7);
    expect(replies()[6]).toContain('Telegram user 500000 in chat 500000 tried message');
  });

  it('bots and Telegram system accounts are never operators, even when the config lists them', async () => {
    ob = makeBot({ operatorIds: [OPERATOR, 777000, 1087968824, 136817688] });
    await send({ userId: OPERATOR, chatId: CHAT }, '/stop', { isBot: true });
    for (const id of [777000, 1087968824, 136817688]) await send({ userId: id, chatId: CHAT }, '/stop');
    await ob.idle();
    expect(desk.calls).toEqual([]);
    expect(commandEvents().map((e) => [e.data.operator, e.data.outcome, String(e.data.detail).split(':')[0]])).toEqual([
      ['tg:111111', 'refused', 'a bot or Telegram system account'],
      ['tg:777000', 'refused', 'a bot or Telegram system account'],
      ['tg:1087968824', 'refused', 'a bot or Telegram system account'],
      ['tg:136817688', 'refused', 'a bot or Telegram system account'],
    ]);
  });

  it('a 429 on the alert is retried by auto-retry and the alert still arrives', async () => {
    fake.failWithFlood('sendMessage', 2, 1);
    await send({ userId: STRANGER, chatId: STRANGER }, '/stop');
    await ob.idle();
    expect(fake.callsTo('sendMessage').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(replies()).toHaveLength(1);
    expect(replies()[0]).toContain('WARNING: Refused operator message');
  });
});

describe('long polling (what `warden bot` runs)', () => {
  it('starts with getMe and a chat-scoped command menu, answers a polled /status, and stops', async () => {
    ob = makeBot({ botInfo: false });
    const running = ob.start();
    fake.enqueueUpdate(textUpdate(op, '/status'));
    const reply = await fake.waitForCall((c) => c.method === 'sendMessage');
    await ob.stop();
    await running;
    expect(String(reply.payload.text)).toContain('binance/main: TRADING');
    expect(fake.callsTo('getMe')).toHaveLength(1);
    const menu = fake.callsTo('setMyCommands')[0]!.payload;
    expect(menu.scope).toEqual({ type: 'chat', chat_id: CHAT });
    expect((menu.commands as Array<{ command: string }>).map((c) => c.command)).toContain('stop');
    expect(fake.callsTo('getUpdates')[0]!.payload.allowed_updates).toEqual(['message', 'callback_query']);
    expect(desk.calls.map((c) => c.method)).toEqual(['sessions']);
  });
});

describe('commands mean what the operator meant', () => {
  it('a forwarded message never executes, not even an operator forwarding a stranger\'s /approve', async () => {
    for (const text of ['/approve rb-1 9000 tx1', '/stop', '/pause now']) await send(op, text, { forwardedFrom: STRANGER });
    expect(desk.calls).toEqual([]);
    expect(replies()).toEqual(Array(3).fill('Forwarded messages are never executed. Nothing was done: send the command yourself.'));
    expect(commandEvents().map((e) => [e.data.command, e.data.outcome, e.data.detail])).toEqual([
      ['approve', 'refused', 'forwarded message (from user)'],
      ['stop', 'refused', 'forwarded message (from user)'],
      ['pause', 'refused', 'forwarded message (from user)'],
    ]);
  });

  it('a command older than telegram.maxCommandAgeSeconds is refused as stale, with a reply', async () => {
    const threeDaysAgo = Math.floor(clock / 1000) - 3 * 86_400;
    await send(op, '/pause maintenance', { date: threeDaysAgo });
    expect(desk.calls).toEqual([]);
    expect(lastReply()).toBe('/pause was sent 259200 s ago, older than the 120 s limit: refused as stale. Nothing was done: send it again if you still mean it.');
    expect(lastCommand()).toMatchObject({ command: 'pause', outcome: 'refused', detail: 'stale: sent 259200 s ago (limit 120 s)' });
    // Within the limit it runs.
    await send(op, '/pause maintenance', { date: Math.floor(clock / 1000) - 60 });
    expect(desk.calls.map((c) => c.method)).toEqual(['pauseAll']);
  });

  it('a late /stop still stops: stopping is always safe, refusing the kill switch is not', async () => {
    await send(op, '/stop', { date: Math.floor(clock / 1000) - 3600 });
    expect(desk.calls.map((c) => c.method)).toEqual(['stopAll']);
  });

  it.each([
    ['/stop!', 'kill switch via Telegram'],
    ['/stop.', 'kill switch via Telegram'],
    ['/stop,now', 'now'],
  ])('%s is read as /stop (the kill switch is forgiving) and says so', async (text, reason) => {
    await send(op, text);
    expect(desk.calls).toEqual([{ method: 'stopAll', args: [{ id: 'tg:111111', channel: 'telegram' }, reason] }]);
    expect(lastReply()).toMatch(new RegExp(`^Read "/stop${text[5]!.replace('.', '\\.')}" as /stop\\.\n`));
    expect(lastCommand()).toMatchObject({ command: 'stop', outcome: 'accepted', detail: expect.stringMatching(/^Read "\/stop.?" as \/stop\./) });
  });

  it.each([
    ['/pause!', '/pause followed by "!" is not a command: put a space after /pause. Nothing was done.\nUsage: /pause [reason]', 'pause'],
    ['/approve,rb-1 9000 tx', '/approve followed by "," is not a command: put a space after /approve. Nothing was done.\nUsage: /approve <id> <amountUsd> <reference>', 'approve'],
    ['/withdraw!', 'unknown command /withdraw (followed by "!"). Send /help for the list.', 'withdraw'],
    ['/ stop', 'not a command: a command is / followed by its name, e.g. /status. Send /help for the list.', 'malformed'],
  ])('%s gets a reply naming the problem, is audited, and does nothing', async (text, reply, command) => {
    await send(op, text);
    expect(desk.calls).toEqual([]);
    expect(lastReply()).toBe(reply);
    expect(lastCommand()).toMatchObject({ command, outcome: 'refused', detail: reply.split('\n')[0] });
  });
});
