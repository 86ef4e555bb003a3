import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../adapters/logger';
import { REDACTED } from '../adapters/redact';
import { forgetRegisteredSecrets, registerSecret, sanitize, sanitizeError } from '../adapters/redact';

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

  it('scrubs S3 presigned-URL parameters, Authorization headers, unquoted secret= and URL userinfo (issue 13 item 6)', () => {
    const presigned =
      'https://warden-audit-logs.s3.amazonaws.com/logs/a.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250115%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250115T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
    expect(sanitize(presigned)).toBe(
      'https://warden-audit-logs.s3.amazonaws.com/logs/a.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[REDACTED]&X-Amz-Date=20250115T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=[REDACTED]&X-Amz-Signature=[REDACTED]',
    );
    expect(sanitize('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc')).toBe('Authorization: [REDACTED]');
    expect(sanitize('sent with Bearer abc.def-ghi and more')).toBe('sent with Bearer [REDACTED] and more');
    expect(sanitize('{"authorization":"Basic dXNlcjpodW50ZXIy"}')).toBe('{"authorization":"[REDACTED]"}');
    expect(sanitize('retry with secret=hunter2 password=hunter3&token=tok4 done')).toBe('retry with secret=[REDACTED] password=[REDACTED]&token=[REDACTED] done');
    expect(sanitize('connect postgres://warden:hunter2@db.internal:5432/warden failed')).toBe('connect postgres://[REDACTED]@db.internal:5432/warden failed');
    expect(sanitize('GET https://key:secret@api.binance.com/x')).toBe('GET https://[REDACTED]@api.binance.com/x');
    expect(sanitize('key AKIAIOSFODNN7EXAMPLE used')).toBe('key [REDACTED] used');
  });

  it('scrubs a handed-out secret in its URL-encoded, base64 and base64url forms, and short secrets as whole tokens', () => {
    forgetRegisteredSecrets();
    const secret = 'p@ss/word+?';
    registerSecret(secret);
    for (const form of [encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')]) {
      expect(sanitize(`x ${form} y`)).toBe(`x ${REDACTED} y`);
    }
    // Inside a longer base64 blob, at any byte alignment.
    for (const pad of ['', 'a', 'ab']) expect(sanitize(Buffer.from(`${pad}{"k":"${secret}"}`).toString('base64'))).toContain(REDACTED);
    registerSecret('Zq9');
    expect(sanitize('pass=Zq9 "Zq9" Zq9.')).toBe(`pass=${REDACTED} "${REDACTED}" ${REDACTED}.`);
    // Only whole tokens: a short secret inside a longer word is left, so the logs stay readable.
    expect(sanitize('AZq9B')).toBe('AZq9B');
    forgetRegisteredSecrets();
  });
});
