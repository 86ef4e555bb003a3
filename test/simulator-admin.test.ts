import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { AuthenticationError, OnMaintenance } from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PAPER_ACCOUNT, registerPaperKeys, VENUES, type PaperKeys, type Simulator } from '../simulator/index';
import { ACCOUNT, amountOf, clientFor, rejection, simulatorOptions, startSimulator, testKey } from './helpers/simulator';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());
beforeEach(() => sim.reset(42));

async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}/__admin${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('admin HTTP API', () => {
  it('answers 400 naming the field for invalid input', async () => {
    expect(await admin('POST', '/balance', { venue: 'kraken', account: 'a', asset: 'USDT', total: 1 })).toEqual({
      status: 400,
      json: { error: 'venue: must be one of binance, okx, bybit' },
    });
    expect((await admin('POST', '/balance', { venue: 'okx', account: 'a', asset: 'USDT', total: -1 })).json.error).toBe('total: must not be negative');
    const { apiKey, secret, permissions } = testKey('okx');
    expect((await admin('POST', '/keys', { venue: 'okx', account: 'a', apiKey, secret, permissions })).json.error).toBe('passphrase: is required for okx keys');
    expect((await admin('POST', '/keys', { ...testKey('bybit'), permissions: { read: true } })).json.error).toMatch(/^permissions\.trade: /);
    expect((await admin('POST', '/price', { symbol: 'BTCUSDT', price: 1 })).json.error).toBe('symbol: must look like BTC/USDT');
    expect((await admin('POST', '/faults', { venue: 'all', errorRate: 2 })).json.error).toBe('errorRate: must be between 0 and 1');
    expect((await admin('POST', '/tick', '{not json')).json.error).toBe('(body): must be JSON');
    expect((await admin('GET', '/orders?venue=okx')).json.error).toMatch(/^account: /);
    expect((await admin('GET', '/nope')).status).toBe(404);
  });

  it('drives a whole scenario over HTTP: key, deposit, order, price, faults, revocation, reset', async () => {
    const key = testKey('okx');
    expect((await admin('POST', '/keys', key)).status).toBe(200);
    expect((await admin('POST', '/balance', { venue: 'okx', account: ACCOUNT, asset: 'USDT', total: 5_000 })).status).toBe(200);
    const ex = clientFor(sim, key);
    expect(amountOf(await ex.fetchBalance(), 'total', 'USDT')).toBe(5_000);
    // A deposit shows up on the next read.
    await admin('POST', '/balance', { venue: 'okx', account: ACCOUNT, asset: 'USDT', total: 7_500 });
    expect(amountOf(await ex.fetchBalance(), 'total', 'USDT')).toBe(7_500);

    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.05, 59_000, { clientOrderId: 'adminFlow1' });
    const listed = await admin('GET', `/orders?venue=okx&account=${ACCOUNT}`);
    expect((listed.json as unknown as Array<Record<string, unknown>>).map((o) => [o.clientOrderId, o.status])).toEqual([['adminFlow1', 'open']]);

    expect((await admin('POST', '/price', { symbol: 'BTC/USDT', price: 58_500 })).json['BTC/USDT']).toBe(58_500);
    const state = await admin('GET', `/state?venue=okx&account=${ACCOUNT}`);
    expect((state.json.orders as Array<Record<string, unknown>>)[0]?.status).toBe('filled');

    await admin('POST', '/faults', { venue: 'okx', maintenance: true });
    expect((await admin('GET', '/faults')).json.okx).toMatchObject({ maintenance: true });
    expect(await rejection(ex.fetchBalance())).toBeInstanceOf(OnMaintenance);
    await admin('POST', '/faults/clear', {});
    expect(amountOf(await ex.fetchBalance(), 'total', 'BTC')).toBeCloseTo(0.05 * 0.999, 10);

    expect((await admin('POST', '/keys/revoke', { venue: 'okx', apiKey: key.apiKey })).status).toBe(200);
    expect(await rejection(ex.fetchBalance())).toBeInstanceOf(AuthenticationError);
    expect((await admin('GET', '/keys?venue=okx')).json).toEqual([expect.objectContaining({ apiKey: key.apiKey, revoked: true })]);
    expect(JSON.stringify((await admin('GET', '/keys')).json)).not.toContain(key.secret);

    expect((await admin('POST', '/reset', { seed: 42 })).json).toEqual({ ok: true, seed: 42 });
    expect((await admin('GET', `/orders?venue=okx&account=${ACCOUNT}`)).json).toEqual([]);
    expect((await admin('GET', '/keys')).json).toEqual([]);
    expect((await admin('GET', '/prices')).json).toEqual({ 'BTC/USDT': 60_000, 'ETH/USDT': 3_000 });
    const ticked = (await admin('POST', '/tick', { steps: 3 })).json.prices as Record<string, number>;
    expect(ticked['BTC/USDT']).not.toBe(60_000);
    await admin('POST', '/reset', {});
    expect((await admin('POST', '/tick', { steps: 3 })).json.prices).toEqual(ticked);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it.skipIf(!external)('refuses admin calls that do not come from loopback', async () => {
    const wide = await startSimulator(simulatorOptions({ host: '0.0.0.0' }));
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: external, port: wide.port, path: '/__admin/health', localAddress: external }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
      expect((await fetch(`http://127.0.0.1:${wide.port}/__admin/health`)).status).toBe(200);
    } finally {
      await wide.close();
    }
  });
});

describe('paper keys', () => {
  it('registers one funded read+trade key per venue, without withdraw or transfer, bound to loopback', async () => {
    const keys = registerPaperKeys(sim);
    expect(Object.keys(keys).sort()).toEqual([...VENUES].sort());
    expect(keys.okx.passphrase).toBeTruthy();
    for (const venue of VENUES) {
      const ex = clientFor(sim, { venue, ...keys[venue] });
      const b = await ex.fetchBalance();
      expect(amountOf(b, 'total', 'USDT')).toBe(20_000);
      expect(amountOf(b, 'total', 'BTC')).toBeGreaterThan(0);
      expect(sim.keys(venue)).toEqual([
        expect.objectContaining({ account: PAPER_ACCOUNT, ipWhitelist: ['127.0.0.1'], permissions: { read: true, trade: true, withdraw: false, transfer: false } }),
      ]);
    }
    const ex = clientFor(sim, { venue: 'binance', ...keys.binance }) as unknown as Record<string, () => Promise<Record<string, unknown>>>;
    expect(await ex['sapiGetAccountApiRestrictions']!()).toMatchObject({ enableWithdrawals: false, enableInternalTransfer: false, enableSpotAndMarginTrading: true, ipRestrict: true });
  });

  it('re-registers keys read back from a secrets file, and is reachable over the admin API', async () => {
    const first = (await admin('POST', '/paper-keys', {})).json as unknown as PaperKeys;
    sim.reset(42);
    const again = registerPaperKeys(sim, { keys: first });
    expect(again).toEqual(first);
    expect(amountOf(await clientFor(sim, { venue: 'bybit', ...first.bybit }).fetchBalance(), 'total', 'USDT')).toBe(20_000);
  });
});
