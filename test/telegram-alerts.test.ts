import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import { createTelegramAlertChannel, TelegramAlertChannel } from '../adapters/alerts/telegram';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { formatAlert, makeAlert } from '../domain/severity';
import { openTempTrail } from './helpers/audit';
import { FAKE_BOT_TOKEN, startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram';

const CHAT = -1009876543210;
/** Shaped like a real token, but not the one the fake accepts. */
const WRONG_TOKEN = '7000000002:AAWrongTokenWrongTokenWrongToken_xyz';

let fake: FakeTelegram;
let trail: AuditTrail;
let logs: string[];

const alert = (message = 'binance/main: 3 failures in a row_with *markdown* [chars]') =>
  makeAlert('circuit_breaker_triggered', { message, at: '2025-01-15T14:00:00.000Z', scope: { exchange: 'binance', account: 'main' } });

function storeReturning(...tokens: string[]) {
  const reads: string[] = [];
  return {
    reads,
    getTelegramToken: async () => {
      const t = tokens[Math.min(reads.length, tokens.length - 1)]!;
      reads.push(t);
      return t;
    },
  };
}

function logger() {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  return createLogger({ level: 'debug', destination: stream });
}

beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  fake.reset();
  logs = [];
  trail = await openTempTrail();
});
afterEach(async () => {
  for (const token of [FAKE_BOT_TOKEN, WRONG_TOKEN]) {
    expect(logs.join('')).not.toContain(token);
    expect(JSON.stringify(trail.events())).not.toContain(token);
  }
  await trail.close();
});

describe('TelegramAlertChannel', () => {
  it('delivers the formatted alert to the operator chat as plain text, through the router', async () => {
    const channel = createTelegramAlertChannel(storeReturning(fake.token), { chatId: CHAT, apiRoot: fake.apiRoot });
    const log = logger();
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel], audit: trail, logger: log });
    const a = alert();
    const outcome = await router.route(a, 'test');
    expect(outcome).toEqual({ delivered: ['log', 'telegram'], failed: [], suppressed: false });
    const [call] = fake.callsTo('sendMessage');
    expect(call!.token).toBe(fake.token);
    expect(call!.payload).toMatchObject({ chat_id: CHAT, text: formatAlert(a), disable_notification: false });
    expect(call!.payload.parse_mode).toBeUndefined();
    expect(trail.events().find((e) => e.type === 'alert')?.data).toMatchObject({ severity: 'CRITICAL', delivered: true });
  });

  it('reads the token from the secrets store only when it delivers, and follows a rotation', async () => {
    const store = storeReturning(WRONG_TOKEN, fake.token);
    const channel = createTelegramAlertChannel(store, { chatId: CHAT, apiRoot: fake.apiRoot });
    expect(store.reads).toEqual([]);
    await expect(channel.deliver('x', alert())).rejects.toThrow(/telegram: alert circuit_breaker_triggered:binance\/main not delivered: .*401: Unauthorized/);
    await channel.deliver('x', alert());
    expect(fake.calls.map((c) => [c.token === fake.token, c.status])).toEqual([
      [false, 401],
      [true, 200],
    ]);
  });

  it('waits out 429 flood limits with auto-retry, so the alert still arrives', async () => {
    fake.failWithFlood('sendMessage', 2, 1);
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot });
    await channel.deliver('🚨 flood test', alert());
    expect(fake.callsTo('sendMessage').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(fake.sentTo(CHAT)).toEqual(['🚨 flood test']);
  });

  it('gives up after its bounded attempts and the router reports the channel failed', async () => {
    fake.failWithFlood('sendMessage', 5, 1);
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot, retry: { maxRetryAttempts: 1 } });
    const router = new AlertRouter({ channels: [channel], audit: trail, logger: logger() });
    const outcome = await router.route(alert(), 'test');
    expect(outcome.failed).toEqual(['telegram']);
    expect(fake.callsTo('sendMessage').map((c) => c.status)).toEqual([429, 429]);
  });

  it('does not wait out a flood limit longer than maxDelaySeconds', async () => {
    fake.failWithFlood('sendMessage', 1, 60);
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot });
    await expect(channel.deliver('x', alert())).rejects.toThrow(/429: Too Many Requests: retry after 60/);
    expect(fake.callsTo('sendMessage')).toHaveLength(1);
  });

  it('reports a 5xx at once (the caller retries), without the token', async () => {
    fake.failWithServerError('sendMessage', 1, 502);
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot });
    const err = (await channel.deliver('x', alert()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/502: Internal Server Error/);
    expect(err.message).not.toContain(fake.token);
    expect(err.cause).toBeUndefined();
    expect(fake.callsTo('sendMessage')).toHaveLength(1);
  });

  it('scrubs the token out of network errors, which carry the request URL', async () => {
    const closed = await startFakeTelegram();
    const apiRoot = closed.apiRoot;
    await closed.close();
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot });
    const err = (await channel.deliver('x', alert()).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`${apiRoot}/bot[REDACTED]/sendMessage`);
    expect(err.message).not.toContain(fake.token);
    expect(JSON.stringify(err)).not.toContain(fake.token);
  });

  it('an escalation mentions each person with a Telegram id, so their phone rings, without a parse mode', async () => {
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot });
    const escalated = { ...alert(), escalateTo: [{ name: 'Alice', telegram: 1002 }, { name: 'Bob', email: 'bob@example.com' }, { name: 'tg:1003', telegram: 1003 }] };
    await channel.deliver('ESCALATION 1: SEV-1 not acknowledged', escalated);
    const [call] = fake.callsTo('sendMessage');
    expect(call!.payload.text).toBe('📣 Alice, tg:1003\nESCALATION 1: SEV-1 not acknowledged');
    expect(call!.payload.parse_mode).toBeUndefined();
    expect(call!.payload.entities).toEqual([
      { type: 'text_link', offset: 3, length: 5, url: 'tg://user?id=1002' },
      { type: 'text_link', offset: 10, length: 7, url: 'tg://user?id=1003' },
    ]);
    // Each entity covers exactly the name it mentions.
    const text = String(call!.payload.text);
    expect((call!.payload.entities as Array<{ offset: number; length: number }>).map((e) => text.slice(e.offset, e.offset + e.length))).toEqual(['Alice', 'tg:1003']);
  });

  it('cuts an oversized alert to what Telegram accepts instead of losing it', async () => {
    const channel = new TelegramAlertChannel({ secrets: storeReturning(fake.token), chatId: CHAT, apiRoot: fake.apiRoot });
    await channel.deliver('y'.repeat(5000), alert());
    expect(fake.sentTo(CHAT)[0]).toHaveLength(4096);
  });
});
