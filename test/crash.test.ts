import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { RiskConfig } from '../config/schema';
import { mulberry32 } from '../simulator/prng';
import { startSession } from '../workers/sessions';
import { statusQuery, stopUpdate, type SessionInput } from '../contracts/session';
import { ExchangeHarness } from './helpers/exchange';
import { historyText, scheduledActivityInputs } from './helpers/history';
import { temporalHarness, workflowBundle, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from './helpers/worker-process';

const TRIALS = 20;

/**
 * Two real `warden worker` processes serve one session; one of them is killed
 * with SIGKILL at random moments (half the time while an order is in flight at
 * the venue) and replaced. Every order the workflow intended must exist at the
 * venue exactly once.
 */
describe('crash safety: SIGKILL a worker at random moments', () => {
  let h: ExchangeHarness;
  let t: TemporalHarness;
  const workers: WorkerProcess[] = [];
  let config: string;

  beforeAll(async () => {
    h = await ExchangeHarness.start(5);
    t = await temporalHarness();
    config = writeWorkerConfig({ temporalAddress: inject('temporalAddress'), taskQueue: t.taskQueue, simUrl: h.sim.url, accounts: [{ exchange: 'binance', account: 'crash' }] });
    h.addKey('binance', 'crash');
    const price = h.sim.price('BTC/USDT');
    h.sim.setBalance('binance', 'crash', 'USDT', 10_000);
    h.sim.setBalance('binance', 'crash', 'BTC', Math.round((10_000 / price) * 1e5) / 1e5);
    workers.push(...(await Promise.all([startWorkerProcess(config, h.stateDir), startWorkerProcess(config, h.stateDir)])));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await t?.close();
    await h?.close();
  });

  it(`${TRIALS} kills: every intended order exactly once, none lost, failover alerted, histories replay`, async () => {
    const base = h.sim.price('BTC/USDT');
    const input: SessionInput = {
      exchange: 'binance',
      account: 'crash',
      symbols: ['BTC/USDT'],
      strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.5 }, band: 0.005, orderType: 'market', maxOrderNotional: 150 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100, maxOrdersPerMinute: 1200, dailyLossLimitPct: 50, maxDrawdownPct: 50 }),
      tickSeconds: 1,
      maxTicksPerRun: 100_000,
    };
    const handle = await startSession(t.client, t.taskQueue, input);
    const status = () => handle.query(statusQuery);
    await waitFor(status, (s) => s.ticks > 0, 30_000, 'first tick');

    const rng = mulberry32(42);
    const live = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    let inFlightKills = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      h.sim.setPrice('BTC/USDT', base * (trial % 2 ? 1.02 : 0.98));
      const seqBefore = (await status()).orderSeq;
      let victim: WorkerProcess | undefined;
      if (trial % 2 === 0) {
        // Slow the venue so the order is in flight, then kill the worker holding it.
        h.sim.setFaults('binance', { latencyMs: 400 });
        const pending = await waitFor(
          async () => (await handle.describe()).raw.pendingActivities ?? [],
          (list) => list.some((a) => a.activityType?.name === 'placeOrder' && !!a.lastWorkerIdentity),
          30_000,
          'a placeOrder in flight',
        );
        const holder = pending.find((a) => a.activityType?.name === 'placeOrder')!.lastWorkerIdentity;
        victim = live().find((w) => w.identity === holder);
        if (victim) inFlightKills += 1;
      } else {
        // A random moment, aimed at the worker running the workflow, to force a failover.
        await new Promise((r) => setTimeout(r, Math.floor(rng() * 1500)));
        const current = (await status()).worker;
        victim = live().find((w) => w.identity === current);
      }
      victim ??= live()[Math.floor(rng() * live().length)]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      h.sim.clearFaults();
      workers.push(await startWorkerProcess(config, h.stateDir));
      await waitFor(status, (s) => s.orderSeq > seqBefore, 60_000, `progress after kill ${trial}`);
    }
    expect(inFlightKills).toBeGreaterThanOrEqual(TRIALS / 4);

    // Settle: no placement pending, then stop.
    await waitFor(async () => (await handle.describe()).raw.pendingActivities ?? [], (l) => l.length === 0, 30_000, 'no pending activity');
    const final = await handle.executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'crash test over' }] });
    expect(final.session).toBe('binance/crash');

    const history = await historyText(handle);
    const intended = new Set((await scheduledActivityInputs<{ clientOrderId: string }>(handle, 'placeOrder')).map((i) => i.clientOrderId));
    const atVenue = h.sim.orders('binance', 'crash').map((o) => o.clientOrderId);
    expect(intended.size).toBeGreaterThanOrEqual(TRIALS);
    // None duplicated, none lost, nothing the workflow did not intend.
    expect(atVenue.length).toBe(new Set(atVenue).size);
    expect(new Set(atVenue)).toEqual(intended);
    const st = await status();
    expect(st.failovers).toBeGreaterThan(0);
    expect(history).toContain('failover_occurred');

    // Histories recorded under crashes replay without determinism errors.
    const raw = await handle.fetchHistory();
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: handle.workflowId, history: raw }])) results.push(r);
    expect(results.map((r) => r.error)).toEqual([undefined]);
  }, 600_000);
});
