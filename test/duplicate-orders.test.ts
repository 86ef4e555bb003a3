import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../config/schema';
import { mulberry32 } from '../simulator/prng';
import { placeOrdersWorkflow } from './fixtures/order-workflows';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

const TRIALS = 50;
const ORDERS_PER_TRIAL = 3;

/**
 * The venue accepts orders and then loses the response, rate-limits, errors and
 * stalls, on random schedules; the order activity retries under Temporal. Every
 * intended order must exist exactly once at the venue.
 */
describe('no duplicate and no lost orders under faults (real Temporal, real ccxt, simulator)', () => {
  let h: ExchangeHarness;
  let t: TemporalHarness;
  beforeAll(async () => {
    h = await ExchangeHarness.start(11);
    h.fundAccount('dup', { USDT: 1_000_000 });
    t = await temporalHarness({ workflowsPath: fileURLToPath(new URL('./fixtures/order-workflows.ts', import.meta.url)) });
    await t.startWorker({ gateways: h.gateways('dup'), audit: h.audit });
  });
  afterAll(async () => {
    await t?.close();
    await h?.close();
  });

  it('a dropped response is retried by the activity and leaves exactly one order', async () => {
    h.sim.setFaults('okx', { dropOrderResponses: 1 });
    const price = Math.round(h.sim.price('BTC/USDT') / 2);
    const res = await t.client.workflow.execute(placeOrdersWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `dup-single-${t.taskQueue}`,
      args: [{ exchange: 'okx', account: 'dup', orders: [{ clientOrderId: 'wdsingle1', intent: { symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.001, price, reason: 't' } }] }],
    });
    expect(res).toEqual([expect.objectContaining({ clientOrderId: 'wdsingle1', existed: true })]);
    expect(h.sim.orders('okx', 'dup').filter((o) => o.clientOrderId === 'wdsingle1')).toHaveLength(1);
    h.sim.clearFaults();
  });

  it(`${TRIALS} random fault schedules: zero duplicates, zero lost orders`, async () => {
    const rng = mulberry32(20261128);
    const schedules: string[] = [];
    for (let round = 0; round * VENUE_IDS.length < TRIALS; round++) {
      const trials = VENUE_IDS.slice(0, Math.min(VENUE_IDS.length, TRIALS - round * VENUE_IDS.length)).map((venue: ExchangeId) => {
        const faults = {
          dropOrderResponses: Math.floor(rng() * 3),
          rateLimitRemaining: Math.floor(rng() * 3),
          errorRate: Math.round(rng() * 40) / 100,
          latencyMs: Math.floor(rng() * 30),
        };
        h.sim.setFaults(venue, faults);
        schedules.push(`${venue} ${JSON.stringify(faults)}`);
        const price = Math.round(h.sim.price('BTC/USDT') / 2);
        const orders = Array.from({ length: ORDERS_PER_TRIAL }, (_, i) => ({
          clientOrderId: `wd${round}x${i}${venue.slice(0, 2)}`,
          intent: { symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, amount: 0.001, price: price - i, reason: 'fault trial' },
        }));
        return t.client.workflow
          .execute(placeOrdersWorkflow, { taskQueue: t.taskQueue, workflowId: `dup-${round}-${venue}-${t.taskQueue}`, args: [{ exchange: venue, account: 'dup', orders }] })
          .then(() => ({ venue, ids: orders.map((o) => o.clientOrderId) }));
      });
      const done = await Promise.all(trials);
      h.sim.clearFaults();
      for (const { venue, ids } of done) {
        const atVenue = h.sim.orders(venue, 'dup');
        const counts = ids.map((id) => atVenue.filter((o) => o.clientOrderId === id).length);
        expect(counts, `round ${round} ${venue}: ${schedules.slice(-3).join(' | ')}`).toEqual(ids.map(() => 1));
      }
    }
    const all = VENUE_IDS.flatMap((v) => h.sim.orders(v, 'dup').map((o) => o.clientOrderId));
    expect(new Set(all).size).toBe(all.length);
    expect(schedules).toHaveLength(TRIALS);
  }, 300_000);
});
