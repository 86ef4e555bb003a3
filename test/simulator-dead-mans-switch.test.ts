import { BadRequest, type Exchange } from 'ccxt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeGateway } from '../adapters/exchange/gateway';
import type { Simulator } from '../simulator/index';
import { ACCOUNT, clientFor, fundedClient, rejection, simulatorOptions, startSimulator, testKey } from './helpers/simulator';
import { waitFor } from './helpers/wait';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());
beforeEach(() => sim.reset(42));

type CancelAllAfter = (params: Record<string, string>) => Promise<{ code: string; data: Array<{ triggerTime: string; tag: string; ts: string }> }>;
/** ccxt's own implicit method for okx's endpoint: the wire call a real okx account would get. */
const cancelAllAfter = (ex: Exchange, timeOut: string) => (ex as unknown as Record<string, CancelAllAfter>).privatePostTradeCancelAllAfter!.call(ex, { timeOut });

/** Two resting limit buys, on both symbols (the countdown cancels every symbol). */
async function restingOrders(ex: Exchange): Promise<void> {
  await ex.loadMarkets();
  for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
    const price = Number(ex.priceToPrecision(symbol, sim.price(symbol) * 0.8));
    const amount = Number(ex.amountToPrecision(symbol, 50 / price + (ex.markets?.[symbol]?.limits.amount?.min ?? 0)));
    await ex.createOrder(symbol, 'limit', 'buy', amount, price);
  }
}
const openOrders = () => sim.orders('okx', ACCOUNT).filter((o) => o.status === 'open');

describe("okx cancel-all-after (dead man's switch) through the real ccxt client", () => {
  it('arms a countdown, answers its trigger time, and 0 disarms it', async () => {
    const ex = fundedClient(sim, 'okx');
    const before = Date.now();
    const armed = await cancelAllAfter(ex, '60');
    expect(armed.code).toBe('0');
    const trigger = Number(armed.data[0]!.triggerTime);
    expect(trigger).toBeGreaterThanOrEqual(before + 60_000);
    expect(trigger).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(sim.cancelAfter('okx', ACCOUNT)).toBe(trigger);

    const off = await cancelAllAfter(ex, '0');
    expect(off.data[0]).toMatchObject({ triggerTime: '0', tag: '' });
    expect(sim.cancelAfter('okx', ACCOUNT)).toBeUndefined();
  });

  it("refuses a countdown outside 0 or [10, 120] with okx's codes, and an empty one", async () => {
    const ex = fundedClient(sim, 'okx');
    for (const bad of ['9', '121', '-10', '12.5', 'sixty']) {
      const e = await rejection(cancelAllAfter(ex, bad));
      expect(e, bad).toBeInstanceOf(BadRequest);
      expect(e.message).toContain('51000');
      expect(e.message).toContain('Parameter timeOut error');
    }
    const empty = await rejection(cancelAllAfter(ex, ''));
    expect(empty.message).toContain('50014');
    // Nothing was armed by a refused request; the bounds themselves are accepted.
    expect(sim.cancelAfter('okx', ACCOUNT)).toBeUndefined();
    for (const edge of ['10', '120']) expect((await cancelAllAfter(ex, edge)).code).toBe('0');
  });

  it('needs a signed request from a key with trade permission', async () => {
    const key = testKey('okx', { permissions: { read: true, trade: false, withdraw: false, transfer: false } });
    sim.registerKey(key);
    expect((await rejection(cancelAllAfter(clientFor(sim, key), '60'))).message).toContain('50120');
    const forged = clientFor(sim, { ...key, secret: 'not-the-secret' });
    expect((await rejection(cancelAllAfter(forged, '60'))).message).toContain('50113');
  });

  it('cancels every open order of the account when it runs out; re-arming first pushes it back', async () => {
    const ex = fundedClient(sim, 'okx');
    await restingOrders(ex);
    expect(openOrders()).toHaveLength(2);
    const first = Number((await cancelAllAfter(ex, '10')).data[0]!.triggerTime);
    // Re-armed a few seconds in: the first deadline passes with the orders still resting.
    await waitFor(async () => Date.now(), (now) => now >= first - 7_000, 5_000, 'three seconds into the countdown');
    const second = Number((await cancelAllAfter(ex, '10')).data[0]!.triggerTime);
    expect(second).toBeGreaterThanOrEqual(first + 3_000);
    await waitFor(async () => Date.now(), (now) => now > first + 500, 15_000, 'past the first deadline');
    expect(openOrders()).toHaveLength(2);

    await waitFor(async () => openOrders().length, (n) => n === 0, 15_000, 'the venue cancelling the orders');
    const cancelled = sim.orders('okx', ACCOUNT);
    expect(cancelled.map((o) => o.status)).toEqual(['canceled', 'canceled']);
    for (const o of cancelled) expect(o.updatedAt).toBeGreaterThanOrEqual(second);
    // It fired once and is off until armed again, as on okx.
    expect(sim.cancelAfter('okx', ACCOUNT)).toBeUndefined();
    expect((await ex.fetchOpenOrders('BTC/USDT')).length).toBe(0);
  }, 40_000);

  it("another account's countdown leaves this account's orders alone", async () => {
    const ex = fundedClient(sim, 'okx');
    await restingOrders(ex);
    const other = testKey('okx', { account: 'other', apiKey: 'okxOtherKey0001' });
    sim.registerKey(other);
    await cancelAllAfter(clientFor(sim, other), '10');
    expect(sim.cancelAfter('okx', 'other')).toBeDefined();
    expect(sim.cancelAfter('okx', ACCOUNT)).toBeUndefined();
    expect(openOrders()).toHaveLength(2);
  });
});

describe("the gateway's armDeadMansSwitch", () => {
  it('arms okx and reports the trigger time', async () => {
    const gw = new ExchangeGateway(fundedClient(sim, 'okx'), 'okx');
    const r = await gw.armDeadMansSwitch(30);
    expect(r).toMatchObject({ armed: true, venue: 'okx' });
    expect(Date.parse(r.triggerAt!)).toBe(sim.cancelAfter('okx', ACCOUNT));
    expect(await gw.armDeadMansSwitch(0)).toMatchObject({ armed: false, reason: 'disarmed' });
  });

  it.each(['binance', 'bybit'] as const)('answers armed: false with the reason on %s (no spot countdown over REST), without a request', async (venue) => {
    const gw = new ExchangeGateway(fundedClient(sim, venue), venue);
    const r = await gw.armDeadMansSwitch(60);
    expect(r.armed).toBe(false);
    expect(r.venue).toBe(venue);
    expect(r.reason).toMatch(venue === 'binance' ? /futures/ : /websocket/);
    expect(sim.cancelAfter(venue, ACCOUNT)).toBeUndefined();
  });
});
