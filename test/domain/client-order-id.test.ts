import { describe, expect, it } from 'vitest';
import {
  CLIENT_ORDER_ID_RULES,
  clientOrderId,
  clientOrderIdPrefix,
  fnv1a64,
  isValidClientOrderId,
  parseClientOrderId,
} from '../../domain/client-order-id';
import type { Venue } from '../../domain/market';

const VENUES: Venue[] = ['binance', 'okx', 'bybit'];

describe('client order ids', () => {
  it('hashes with 64-bit FNV-1a over UTF-16 code units (vectors computed independently)', () => {
    expect(fnv1a64('')).toBe(0xcbf29ce484222325n);
    expect(fnv1a64('binance/main')).toBe(0x6c001f062a103685n);
    expect(fnv1a64('okx/main')).toBe(0xa3b16696d5c8ac35n);
  });

  it('is a pure function of venue-independent state', () => {
    expect(clientOrderId('binance', { session: 'binance/main', runSeq: 12_345 })).toBe('wd1n4j6wfducr5x9ix');
    expect(clientOrderId('binance', { session: 'binance/main', runSeq: 12_345 })).toBe(clientOrderId('binance', { session: 'binance/main', runSeq: 12_345 }));
    expect(clientOrderId('okx', { session: 'okx/main', runSeq: 0 })).toBe('wd2hm5gktoiv4tx0');
  });

  it.each(VENUES)('respects %s rules, from the first to the last possible sequence', (venue) => {
    for (const runSeq of [0, 1, 35, 36, 1_000_000, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      for (const session of [`${venue}/main`, `${venue}/a-very-long-account-name-for-sure`, '', 'ünïcödé/☃']) {
        if (session === '') continue;
        const id = clientOrderId(venue, { session, runSeq });
        expect(id).toMatch(CLIENT_ORDER_ID_RULES[venue]);
        expect(id.length).toBeLessThanOrEqual(26);
      }
    }
  });

  it('the documented rules themselves', () => {
    expect(isValidClientOrderId('binance', 'a.b:c/d_e-F9')).toBe(true);
    expect(isValidClientOrderId('binance', 'x'.repeat(37))).toBe(false);
    expect(isValidClientOrderId('binance', 'has space')).toBe(false);
    expect(isValidClientOrderId('okx', 'abc123')).toBe(true);
    expect(isValidClientOrderId('okx', '1abc')).toBe(false);
    expect(isValidClientOrderId('okx', 'a-b')).toBe(false);
    expect(isValidClientOrderId('okx', 'a'.repeat(33))).toBe(false);
    expect(isValidClientOrderId('bybit', 'a-b_c')).toBe(true);
    expect(isValidClientOrderId('bybit', 'a.b')).toBe(false);
    expect(isValidClientOrderId('bybit', '')).toBe(false);
  });

  it('is unique over 100k sequences across sessions and venues', () => {
    const seen = new Set<string>();
    const sessions = ['binance/main', 'binance/alt', 'okx/main'];
    for (const session of sessions) {
      for (let runSeq = 0; runSeq < 100_000; runSeq++) {
        const id = clientOrderId('okx', { session, runSeq });
        seen.add(id);
      }
    }
    expect(seen.size).toBe(300_000);
  });

  it('differs between sessions and epochs, and all of a session share its prefix', () => {
    const a = clientOrderId('bybit', { session: 'bybit/main', runSeq: 1 });
    const b = clientOrderId('bybit', { session: 'bybit/main2', runSeq: 1 });
    const c = clientOrderId('bybit', { session: 'bybit/main', runSeq: 1, epoch: 'run-2' });
    expect(new Set([a, b, c]).size).toBe(3);
    expect(a.startsWith(clientOrderIdPrefix('bybit/main'))).toBe(true);
    expect(c.startsWith(clientOrderIdPrefix('bybit/main', 'run-2'))).toBe(true);
    expect(clientOrderIdPrefix('x')).toHaveLength(15);
  });

  it('parses its own ids back to the sequence, and nobody else\'s', () => {
    for (const runSeq of [0, 7, 36, 99_999, Number.MAX_SAFE_INTEGER]) {
      expect(parseClientOrderId(clientOrderId('binance', { session: 'binance/main', runSeq }), 'binance/main')).toBe(runSeq);
    }
    const id = clientOrderId('binance', { session: 'binance/main', runSeq: 5 });
    expect(parseClientOrderId(id, 'binance/alt')).toBeUndefined();
    expect(parseClientOrderId(id, 'binance/main', 'epoch')).toBeUndefined();
    expect(parseClientOrderId('manual-order-1', 'binance/main')).toBeUndefined();
    expect(parseClientOrderId(`${clientOrderIdPrefix('binance/main')}`, 'binance/main')).toBeUndefined();
    expect(parseClientOrderId(`${clientOrderIdPrefix('binance/main')}00a`, 'binance/main')).toBeUndefined();
    expect(parseClientOrderId(`${clientOrderIdPrefix('binance/main')}A`, 'binance/main')).toBeUndefined();
  });

  it('refuses a sequence or session it cannot encode', () => {
    expect(() => clientOrderId('okx', { session: 'okx/main', runSeq: -1 })).toThrow(RangeError);
    expect(() => clientOrderId('okx', { session: 'okx/main', runSeq: 1.5 })).toThrow(RangeError);
    expect(() => clientOrderId('okx', { session: 'okx/main', runSeq: Number.MAX_SAFE_INTEGER + 1 })).toThrow(RangeError);
    expect(() => clientOrderId('okx', { session: '', runSeq: 1 })).toThrow(/session/);
  });
});
