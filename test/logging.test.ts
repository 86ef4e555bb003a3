import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../adapters/logger';
import { registerSecret, sanitize, sanitizeError } from '../adapters/redact';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination: stream }) };
}

describe('log redaction', () => {
  it('blanks secret-bearing fields at any of the first three levels', () => {
    const { lines, logger } = captured();
    logger.info({ apiKey: 'AK-live-1', creds: { secret: 'S-live-2', nested: { passphrase: 'P-live-3' } }, token: 'T' }, 'hello');
    const out = lines.join('');
    for (const s of ['AK-live-1', 'S-live-2', 'P-live-3']) expect(out).not.toContain(s);
    expect(out).toContain('[REDACTED]');
  });

  it('scrubs signed URLs that ccxt embeds in error messages', () => {
    const ccxtMessage =
      'binance GET https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1700000000000&signature=9f86d081884c7d659a2feaa0c55ad015 401 {"code":-2015}';
    const { lines, logger } = captured();
    logger.error({ err: new Error(ccxtMessage) }, 'order failed');
    logger.warn(ccxtMessage);
    const out = lines.join('');
    expect(out).not.toContain('9f86d081884c7d659a2feaa0c55ad015');
    expect(out).toContain('signature=[REDACTED]');
  });

  it('scrubs Telegram bot tokens and registered secret values anywhere in text', () => {
    registerSecret('my-very-secret-value');
    const text = 'POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage with my-very-secret-value';
    expect(sanitize(text)).toBe('POST https://api.telegram.org/bot[REDACTED]/sendMessage with [REDACTED]');
    const err = sanitizeError(new TypeError('failed: my-very-secret-value'));
    expect(err.name).toBe('TypeError');
    expect(err.message).toBe('failed: [REDACTED]');
  });
});
