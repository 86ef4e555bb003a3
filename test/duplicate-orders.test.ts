import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtGatewayProvider, type GatewayProvider } from '../adapters/exchange/provider';
import type { ExchangeId } from '../domain/market';
import type { FaultPatch } from '../simulator/faults';
import { mulberry32 } from '../simulator/prng';
import { placeOrdersWorkflow } from './fixtures/order-workflows';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const TRIALS = 50;
const ORDERS_PER_TRIAL = 3;
/** The innermost cause's message (a workflow failure wraps the activity's, which wraps the venue's). */
function rootMessage(e: unknown): string {
  let cur: unknown = e;
  while (cur instanceof Error && cur.cause instanceof Error) cur = cur.cause;
  return cur instanceof Error ? cur.message : String(cur);
}

/** One simulator per round of three trials (one per venue), so every round runs at once with faults of its own. */
const ROUNDS = Math.ceil(TRIALS / VENUE_IDS.length);

/**
 * The venue accepts orders and then loses the response, rate-limits, errors and
 * stalls (latency spikes past the request window too), holds lookups and answers, on random schedules; the order activity retries under Temporal. Every
 * intended order must exist exactly once at the venue. Each trial places a market
 * buy, a resting limit buy and a market sell: a filled order no longer blocks its
 * client order id at binance and okx, a resting one does.
 */
describe('no duplicate and no lost orders under faults (real Temporal, real ccxt, simulator)', () => {
  let venues: ExchangeHarness[];
  let t: TemporalHarness;
  const account = (round: number) => `dup${round}`;
  beforeAll(async () => {
    venues = await Promise.all(Array.from({ length: ROUNDS }, (_, round) => ExchangeHarness.start(11 + round)));
    const providers = new Map<string, GatewayProvider>();
    venues.forEach((h, round) => {
      h.fundAccount(account(round), { USDT: 1_000_000, BTC: 10 });
      // Half the rounds with ccxt's product timeout, half with one that gives up (3 s) while a request can still land.
      providers.set(
        account(round),
        round % 2 ? h.gateways(account(round)) : new CcxtGatewayProvider({ secrets: h.secrets(), accounts: h.accounts(account(round)), enableRateLimit: false }),
      );
    });
    const gateways: GatewayProvider = { gateway: (exchange, acct, purpose, stage) => providers.get(acct)!.gateway(exchange, acct, purpose, stage) };
    t = await temporalHarness({ workflowsPath: fileURLToPath(new URL('./fixtures/order-workflows.ts', import.meta.url)) });
    await t.startWorker({ gateways, audit: venues[0]!.audit });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all((venues ?? []).map((h) => h.close()));
  });

  it('a dropped response is retried by the activity and leaves exactly one order', async () => {
    const h = venues[0]!;
    h.sim.setFaults('okx', { dropOrderResponses: 1 });
    const price = Math.round(h.sim.price('BTC/USDT') / 2);
    const res = await t.client.workflow.execute(placeOrdersWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `dup-single-${t.taskQueue}`,
      args: [{ exchange: 'okx', account: account(0), orders: [{ clientOrderId: 'wdsingle1', intent: { symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.001, price, reason: 't' } }] }],
    });
    expect(res).toEqual([expect.objectContaining({ clientOrderId: 'wdsingle1', existed: true })]);
    expect(h.sim.orders('okx', account(0)).filter((o) => o.clientOrderId === 'wdsingle1')).toHaveLength(1);
    h.sim.clearFaults();
  });

  it(`${TRIALS} random fault schedules: zero duplicates, zero lost orders`, async () => {
    const rng = mulberry32(20261128);
    // The later fault kinds draw from a stream of their own, so the schedules above stay as they were.
    const spikes = mulberry32(20261201);
    const started = performance.now();
    const atVenues = () => venues.flatMap((h, round) => VENUE_IDS.flatMap((v) => h.sim.orders(v, account(round)).map((o) => o.clientOrderId)));
    const before = atVenues().length;
    const trials = Array.from({ length: TRIALS }, (_, n) => {
      const round = Math.floor(n / VENUE_IDS.length);
      const venue: ExchangeId = VENUE_IDS[n % VENUE_IDS.length]!;
      const h = venues[round]!;
      const faults: FaultPatch = {
        dropOrderResponses: Math.floor(rng() * 3),
        rateLimitRemaining: Math.floor(rng() * 3),
        errorRate: Math.round(rng() * 30) / 100,
        latencyMs: Math.floor(rng() * 30),
        // The venue's engine runs the order late (inside the 5 s window), loses the answer before it runs, or a 5xx at the edge while it runs.
        orderLatencyMs: rng() < 0.5 ? 0 : Math.floor(rng() * 4_500),
        acceptThenDrop: Math.floor(rng() * 2),
        acceptThen5xxRate: Math.round(rng() * 25) / 100,
      };
      // One or two latency spikes past the request window (6 s or 12 s: the venue refuses the late
      // request while ccxt has given up on it), a slow lookup before a retry, an answer held after
      // the venue placed the order, a refused first placement.
      if (spikes() < 0.25) Object.assign(faults, { orderSpikes: 1 + Math.floor(spikes() * 2), orderSpikeMs: spikes() < 0.5 ? 6_000 : 12_000 });
      if (spikes() < 0.15) faults.lookupLatencyMs = Math.floor(spikes() * 3_000);
      if (spikes() < 0.15) faults.orderAnswerLatencyMs = Math.floor(spikes() * 5_000);
      if (spikes() < 0.15) faults.refuseOrders = 1;
      h.sim.setFaults(venue, faults);
      const price = h.sim.price('BTC/USDT');
      const shapes = [
        { side: 'buy' as const, type: 'market' as const },
        { side: 'buy' as const, type: 'limit' as const, price: Math.round(price / 2) },
        { side: 'sell' as const, type: 'market' as const },
      ];
      const orders = Array.from({ length: ORDERS_PER_TRIAL }, (_, i) => ({
        clientOrderId: `wd${round}x${i}${venue.slice(0, 2)}`,
        intent: { symbol: 'BTC/USDT', amount: 0.001, reason: 'fault trial', ...shapes[i % shapes.length]! },
      }));
      const run = t.client.workflow.execute(placeOrdersWorkflow, { taskQueue: t.taskQueue, workflowId: `dup-${round}-${venue}-${t.taskQueue}`, args: [{ exchange: venue, account: account(round), orders }] });
      return { h, round, venue, schedule: `${venue} ${JSON.stringify(faults)}`, ids: orders.map((o) => o.clientOrderId), run: run.then(() => undefined, (e: unknown) => e) };
    });
    const outcomes = await Promise.all(trials.map((x) => x.run));
    for (const h of venues) h.sim.clearFaults();
    // A late engine may still be holding a request: count only once every simulator is idle.
    await waitFor(async () => venues.map((h) => h.sim.inFlightRequests()), (n) => n.every((x) => x === 0), 30_000, 'no order request still inside a simulator');
    const problems: string[] = [];
    let duplicates = 0;
    trials.forEach(({ h, round, venue, schedule, ids }, n) => {
      const atVenue = h.sim.orders(venue, account(round));
      const counts = ids.map((id) => atVenue.filter((o) => o.clientOrderId === id).length);
      duplicates += counts.filter((c) => c > 1).length;
      if (counts.some((c) => c !== 1)) problems.push(`round ${round} ${schedule}: per-id counts at the venue ${JSON.stringify(counts)}`);
      if (outcomes[n]) problems.push(`round ${round} ${schedule}: workflow failed: ${rootMessage(outcomes[n])}`);
    });
    // Nothing else either: the trials added exactly the orders they intended.
    const added = atVenues().length - before;
    if (added !== TRIALS * ORDERS_PER_TRIAL) problems.push(`${added} orders added at the venues for ${TRIALS * ORDERS_PER_TRIAL} intended`);
    console.error(`${TRIALS} schedules, ${TRIALS * ORDERS_PER_TRIAL} orders: ${duplicates} client ids placed twice, ${problems.length} problem(s), ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(problems).toEqual([]);
  }, 300_000);
});

/**
 * Issue #12: a venue that is slow to place, or that loses the answer to an order it
 * runs. Market orders, because a filled order no longer blocks its client order id at
 * binance and okx: a second placement under the same id is accepted there. Each
 * scenario runs one workflow per venue under the product's order activity options,
 * and counts every client order id in the venue's own order list.
 */
describe('slow and lossy venues: no client order id placed twice (issue #12)', () => {
  let h: ExchangeHarness;
  /** ccxt with the product's timeout (CCXT_TIMEOUT_MS, past every request window). */
  let patient: TemporalHarness;
  /** ccxt giving up after 3 s, while the venue may still run the order inside its window. */
  let impatient: TemporalHarness;
  let seq = 0;

  beforeAll(async () => {
    h = await ExchangeHarness.start(12);
    h.fundAccount('slow', { USDT: 1_000_000, BTC: 10 });
    const workflowsPath = fileURLToPath(new URL('./fixtures/order-workflows.ts', import.meta.url));
    [patient, impatient] = await Promise.all([temporalHarness({ workflowsPath }), temporalHarness({ workflowsPath })]);
    await patient.startWorker({ gateways: new CcxtGatewayProvider({ secrets: h.secrets(), accounts: h.accounts('slow'), enableRateLimit: false }), audit: h.audit });
    await impatient.startWorker({ gateways: h.gateways('slow'), audit: h.audit });
  });
  afterAll(async () => {
    await patient?.close();
    await impatient?.close();
    await h?.close();
  });

  /** True once the workflow's placement is on a second attempt (the fault has bitten), or the workflow is done. */
  async function pastFirstAttempt(handle: WorkflowHandle): Promise<boolean> {
    const d = await handle.describe();
    return d.status.name !== 'RUNNING' || (d.raw.pendingActivities ?? []).some((a) => (a.attempt ?? 1) >= 2);
  }

  /**
   * Places `orders` market orders per venue under `faults`; with `clearOnRetry`, the faults
   * are lifted once every venue's placement has been retried (requests already at the venue
   * keep their delay). Returns how often each client order id appears at each venue.
   */
  async function scenario(t: TemporalHarness, faults: FaultPatch, opts: { orders: number; clearOnRetry: boolean }) {
    const tag = `s${++seq}`;
    const started = performance.now();
    h.sim.clearFaults();
    h.sim.setFaults('all', faults);
    const runs = await Promise.all(
      VENUE_IDS.map(async (venue) => {
        const orders = Array.from({ length: opts.orders }, (_, i) => ({
          clientOrderId: `wd${tag}x${i}${venue.slice(0, 2)}`,
          intent: { symbol: 'BTC/USDT', side: i % 2 ? ('sell' as const) : ('buy' as const), type: 'market' as const, amount: 0.001, reason: 'fault scenario' },
        }));
        const handle = await t.client.workflow.start(placeOrdersWorkflow, { taskQueue: t.taskQueue, workflowId: `slow-${tag}-${venue}-${t.taskQueue}`, args: [{ exchange: venue, account: 'slow', orders }] });
        return { venue, ids: orders.map((o) => o.clientOrderId), handle };
      }),
    );
    if (opts.clearOnRetry) {
      await waitFor(() => Promise.all(runs.map((r) => pastFirstAttempt(r.handle))), (all) => all.every(Boolean), 60_000, 'a retried placement on every venue');
      h.sim.clearFaults();
    }
    // Counted even if a workflow failed: the venue's order list is the evidence either way.
    const settled = await Promise.allSettled(runs.map((r) => r.handle.result()));
    h.sim.clearFaults();
    // Requests still held at the venue (a late engine) may yet land: wait until none is pending, then count.
    await waitFor(async () => h.sim.inFlightRequests(), (n) => n === 0, 30_000, 'no order request still inside the simulator');
    const counts = Object.fromEntries(runs.map(({ venue, ids }) => [venue, ids.map((id) => h.sim.orders(venue, 'slow').filter((o) => o.clientOrderId === id).length)]));
    const failures = settled.flatMap((x, i) => (x.status === 'rejected' ? [`${runs[i]!.venue}: ${rootMessage(x.reason)}`] : []));
    const results = settled.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
    return { counts, expected: Object.fromEntries(runs.map(({ venue, ids }) => [venue, ids.map(() => 1)])), failures, results, seconds: (performance.now() - started) / 1000 };
  }

  const report = (what: string, r: { counts: unknown; failures: string[]; seconds: number }) =>
    console.error(`${what}: per-id counts at the venue ${JSON.stringify(r.counts)}, ${r.failures.length} failed workflow(s), ${r.seconds.toFixed(1)} s${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`);

  it.each([6_000, 12_000])('placement taking %i ms at the venue (past the old 5 s activity timeout) on every venue', async (orderLatencyMs) => {
    const r = await scenario(patient, { orderLatencyMs }, { orders: 2, clearOnRetry: true });
    report(`slow placement ${orderLatencyMs} ms`, r);
    expect(r.counts).toEqual(r.expected);
    expect(r.failures).toEqual([]);
  }, 90_000);

  it('placement run late but inside its window, after ccxt stopped waiting', async () => {
    const r = await scenario(impatient, { orderLatencyMs: 4_500 }, { orders: 2, clearOnRetry: false });
    report('late inside the window', r);
    expect(r.counts).toEqual(r.expected);
    expect(r.failures).toEqual([]);
    // The venue ran the first request; every retry found it instead of placing again.
    expect(r.results.flat().every((o) => o.existed)).toBe(true);
  }, 90_000);

  it('accept-then-drop: the connection drops before the engine runs the order', async () => {
    const r = await scenario(patient, { acceptThenDrop: 1, orderLatencyMs: 2_500 }, { orders: 2, clearOnRetry: false });
    report('accept-then-drop', r);
    expect(r.counts).toEqual(r.expected);
    expect(r.failures).toEqual([]);
  }, 90_000);

  it('5xx storm: bare 5xx at the edge, before the venue and after it admitted the order', async () => {
    const r = await scenario(patient, { errorRate: 0.15, errorStatus: 502, acceptThen5xxRate: 0.5, orderLatencyMs: 2_500 }, { orders: 3, clearOnRetry: false });
    report('5xx storm', r);
    expect(r.counts).toEqual(r.expected);
    expect(r.failures).toEqual([]);
  }, 120_000);
});
