import { describe, expect, it } from 'vitest';
import { authorize, describeAttempt } from '../operator/telegram/authorize';
import { parseCallbackData, parseCommand, resumeCallbackData, splitCommand } from '../operator/telegram/commands';
import { ResumeConfirmations } from '../operator/telegram/confirmations';
import { clip, formatStopped, MAX_REPLY, pct, usd } from '../operator/core/format';
import { textUpdate } from './helpers/fake-telegram';

describe('splitCommand', () => {
  it.each([
    ['/stop', { name: 'stop', rest: '' }],
    ['/STOP@wardentestbot  now please ', { name: 'stop', rest: 'now please' }],
    ['/approve rb-1 5000\nTX 1', { name: 'approve', rest: 'rb-1 5000\nTX 1' }],
    ['/stop@OtherBot', undefined],
    ['stop', undefined],
    ['hello /stop', undefined],
  ])('%j', (text, expected) => {
    expect(splitCommand(text, 'WardenTestBot')).toEqual(expected);
  });
});

describe('parseCommand', () => {
  it('types every command', () => {
    expect(parseCommand('approve', 'rb-1 $5,000 x')).toMatchObject({ ok: false, error: expect.stringMatching(/^amountUsd: must be a positive number/) });
    expect(parseCommand('approve', 'rb-1 $5000.5 TX 1')).toEqual({ ok: true, command: { name: 'approve', id: 'rb-1', amountUsd: 5000.5, reference: 'TX 1' } });
    expect(parseCommand('incident', 'sev-3 slow fills')).toEqual({ ok: true, command: { name: 'incident declare', severity: 'SEV-3', summary: 'slow fills' } });
    expect(parseCommand('pause', '')).toEqual({ ok: true, command: { name: 'pause', reason: 'paused via Telegram' } });
    expect(parseCommand('start', '')).toEqual({ ok: true, command: { name: 'help' } });
    expect(parseCommand('sessions', '')).toEqual({ ok: true, command: { name: 'sessions' } });
    // The last word takes the rest of the line, so extra text is refused, never dropped.
    expect(parseCommand('ack', 'inc-1 now')).toMatchObject({ ok: false, error: expect.stringMatching(/^id: must be an id/) });
  });

  it('refuses control characters in free text, except for the kill switch which cleans them', () => {
    expect(parseCommand('reject', 'rb-1 ok\u202Eevil')).toMatchObject({ ok: false, error: expect.stringMatching(/^reason: must be plain text/) });
    expect(parseCommand('stop', `a\u202Eb ${'z'.repeat(400)}`)).toMatchObject({ ok: true, command: { name: 'stop', reason: expect.stringMatching(/^a b z+$/) } });
    // Clipped to what the workflows' validators accept.
    const stop = parseCommand('stop', 'z'.repeat(600));
    expect(stop.ok && stop.command.name === 'stop' && stop.command.reason.length).toBe(500);
  });

  it('does not treat inherited object keys as commands', () => {
    expect(parseCommand('constructor', '')).toMatchObject({ ok: false, error: 'unknown command /constructor. Send /help for the list.' });
    expect(parseCommand('__proto__', '')).toMatchObject({ ok: false });
  });
});

describe('callback data', () => {
  it('round-trips and stays under the 64-byte limit', () => {
    const data = resumeCallbackData('confirm', '0123456789abcdef');
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseCallbackData(data)).toEqual({ action: 'confirm', nonce: '0123456789abcdef' });
    expect(parseCallbackData('resume:confirm:zz')).toBeUndefined();
    expect(parseCallbackData('stop:confirm:0123456789abcdef')).toBeUndefined();
  });
});

describe('authorize', () => {
  const access = { chatId: -100, operatorIds: [1, 2] };
  it('needs both an operator id and the operator chat', () => {
    expect(authorize({ userId: 1, chatId: -100 }, access)).toEqual({ ok: true, operator: { id: 'tg:1', channel: 'telegram' } });
    expect(authorize({ userId: 3, chatId: -100 }, access)).toEqual({ ok: false, why: 'not an operator' });
    expect(authorize({ userId: 1, chatId: 1 }, access)).toEqual({ ok: false, why: 'not the operator chat' });
    expect(authorize({ chatId: -100 }, access)).toEqual({ ok: false, why: 'no sender' });
  });

  it('describes an attempt by its command word only', () => {
    expect(describeAttempt(textUpdate({ userId: 9, chatId: 9 }, '/stop@Bot and <b>stuff</b>'))).toBe('/stop@Bot');
    expect(describeAttempt(textUpdate({ userId: 9, chatId: 9 }, 'hi there'))).toBe('message');
  });
});

describe('ResumeConfirmations', () => {
  it('is one-shot, bound to its chat and message, and expires', () => {
    let now = 0;
    const c = new ResumeConfirmations(1000, () => now);
    const p = c.create('tg:1', 'r', -100);
    c.bind(p.nonce, 55);
    expect(c.take(p.nonce, -100, 56)).toEqual({ ok: false, why: 'unknown' });
    expect(c.take(p.nonce, -100, 55)).toMatchObject({ ok: true, pending: { requestedBy: 'tg:1', reason: 'r' } });
    expect(c.take(p.nonce, -100, 55)).toEqual({ ok: false, why: 'unknown' });
    const q = c.create('tg:1', 'r', -100);
    c.bind(q.nonce, 57);
    now = 1000;
    expect(c.take(q.nonce, -100, 57)).toEqual({ ok: false, why: 'expired' });
    c.create('tg:1', 'r', -100);
    now = 5000;
    c.create('tg:1', 'r', -100);
    expect(c.size).toBe(1);
  });
});

describe('format', () => {
  it('money and percentages', () => {
    expect(usd(-1234.5)).toBe('-$1,234.50');
    expect(pct(0)).toBe('0.00%');
    expect(pct(1.234)).toBe('+1.23%');
  });

  it('keeps every reply under the Telegram limit', () => {
    const reports = Array.from({ length: 400 }, (_, i) => ({ session: `binance/acct-${i}`, cancelled: [{ id: 'o', clientOrderId: 'c', symbol: 'BTC/USDT' }], stoppedAt: '' }));
    const text = formatStopped(reports, 'r');
    expect(text.length).toBeLessThanOrEqual(MAX_REPLY);
    expect(text.endsWith('…(truncated)')).toBe(true);
    expect(clip('short')).toBe('short');
  });
});
