import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RiskConfig } from '../config/schema';
import type { FaultPatch } from '../simulator/faults';
import { startSession } from '../workers/sessions';
import { statusQuery, stopUpdate, type SessionInput } from '../contracts/session';
import { ExchangeHarness } from './helpers/exchange';
import { scheduledActivityInputs } from './helpers/history';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from './helpers/worker-process';

const ACCOUNT = 'pkill';
const SYMBOL = 'BTC/USDT';
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED: a worker holds the attempt (not waiting out a backoff). */
const STARTED = 2;

type Long = { toString(): string };
interface RawPayload {
  data?: Uint8Array | string | null;
}
interface RawEvent {
  eventId?: Long | number | null;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null; input?: { payloads?: RawPayload[] | null } | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: Long | number | null; identity?: string | null; result?: { payloads?: RawPayload[] | null } | null } | null;
  workflowTaskCompletedEventAttributes?: { identity?: string | null } | null;
  workflowTaskTimedOutEventAttributes?: object | null;
}

const num = (v: Long | number | null | undefined): number => Number(String(v ?? 0));
function decode<T>(p: RawPayload | undefined): T {
  const data = p?.data ?? '';
  const text = typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  return JSON.parse(text) as T;
}

/** One placement as the workflow's history tells it (server side: no query, so it works while the workflow's worker is dead or frozen). */
interface Placement {
  clientOrderId: string;
  /** ActivityTaskCompleted is in history; with the worker that ran the final attempt and whether it found the order already placed. */
  completed?: { worker: string; existed: boolean };
  /** A workflow task completed after it: the workflow has taken the result in. */
  recordedBy?: string;
  /** Workflow tasks that timed out between the completion and its recording (a dead worker's sticky task). */
  taskTimeouts?: number;
}

async function events(handle: WorkflowHandle): Promise<RawEvent[]> {
  return ((await handle.fetchHistory()) as { events?: RawEvent[] }).events ?? [];
}

async function placement(handle: WorkflowHandle, activityId: string): Promise<Placement> {
  const ev = await events(handle);
  const scheduled = ev.find((e) => e.activityTaskScheduledEventAttributes?.activityId === activityId && e.activityTaskScheduledEventAttributes.activityType?.name === 'placeOrder');
  if (!scheduled) throw new Error(`no placeOrder ${activityId} in history`);
  const { clientOrderId } = decode<{ clientOrderId: string }>(scheduled.activityTaskScheduledEventAttributes!.input?.payloads?.[0] ?? undefined);
  const at = ev.findIndex((e) => num(e.activityTaskCompletedEventAttributes?.scheduledEventId) === num(scheduled.eventId));
  if (at < 0) return { clientOrderId };
  const result = decode<{ existed: boolean; worker: string }>(ev[at]!.activityTaskCompletedEventAttributes!.result?.payloads?.[0] ?? undefined);
  const after = ev.slice(at + 1);
  const recorded = after.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  return {
    clientOrderId,
    completed: { worker: result.worker, existed: result.existed },
    recordedBy: recorded < 0 ? undefined : (after[recorded]!.workflowTaskCompletedEventAttributes!.identity ?? undefined),
    taskTimeouts: (recorded < 0 ? after : after.slice(0, recorded)).filter((e) => e.workflowTaskTimedOutEventAttributes).length,
  };
}

/** The worker holding the workflow's sticky queue: the one that completed its last workflow task. */
async function workflowWorker(handle: WorkflowHandle): Promise<string | undefined> {
  const done = (await events(handle)).filter((e) => e.workflowTaskCompletedEventAttributes);
  return done[done.length - 1]?.workflowTaskCompletedEventAttributes?.identity ?? undefined;
}

interface Running {
  activityId: string;
  attempt: number;
  holder: string;
}

/** The placeOrder attempt a worker is running right now, if any. */
async function runningPlacement(handle: WorkflowHandle): Promise<Running | undefined> {
  const a = ((await handle.describe()).raw.pendingActivities ?? []).find((p) => p.activityType?.name === 'placeOrder' && p.state === STARTED && !!p.lastWorkerIdentity);
  return a ? { activityId: a.activityId!, attempt: a.attempt ?? 1, holder: a.lastWorkerIdentity! } : undefined;
}

interface PhaseFigures {
  phase: string;
  clientOrderId: string;
  killedAttempt: number;
  /** From the kill: the order first seen at the venue (0: it was there before the kill). */
  orderAtVenueMs: number;
  settledMs: number;
  recordedMs: number;
  existed: boolean;
  copiesAtVenue: number;
  /** Workflow tasks that timed out before the result was recorded. */
  taskTimeouts: number;
}

/**
 * A worker SIGKILLed in each phase of one placement: two real `warden worker` processes
 * serve a trading session on one task queue; the simulator holds the placement at the
 * phase wanted, the worker holding it (pending activity's lastWorkerIdentity, or the
 * workflow's sticky worker) is killed, and the standby finishes. Every phase must leave
 * exactly one order per client order id at the venue, and the workflow must record it.
 *
 * Hooks, all deterministic (the simulator holds the request until the kill):
 *   1. started, not sent: attempt 1 is refused (429, nothing placed), so attempt 2 looks
 *      the id up before sending; that lookup is held (`lookupLatencyMs`) -> kill.
 *   2. in flight at the venue: the engine holds the admitted placement (`orderLatencyMs`) -> kill;
 *      a) it runs past its window (refused: the standby must place it), b) it runs late
 *      but inside its window, after the kill (the standby must find it, not place again).
 *   3. accepted, answer not back: the order exists, its answer is held (`orderAnswerLatencyMs`) -> kill.
 *   4. completed, not recorded: the placement (a retry: first attempts run eagerly on the
 *      workflow's own worker) runs on the standby while the workflow's worker is frozen
 *      (SIGSTOP); once ActivityTaskCompleted is in history, the frozen worker is killed. The
 *      workflow task went to its sticky queue and must time out to the standby.
 */
describe('placement kill: SIGKILL a worker in each phase of a placement', () => {
  let h: ExchangeHarness;
  let t: TemporalHarness;
  let config: string;
  const workers: WorkerProcess[] = [];
  let handle: WorkflowHandle;
  const figures: PhaseFigures[] = [];
  let up = true;

  const live = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const copies = (id: string) => h.sim.orders('binance', ACCOUNT).filter((o) => o.clientOrderId === id).length;
  /** Moves the price 2% (alternately up and down): the next tick rebalances with one market order. */
  const nudge = () => {
    h.sim.setPrice(SYMBOL, h.sim.price(SYMBOL) * (up ? 1.02 : 0.98));
    up = !up;
  };

  beforeAll(async () => {
    h = await ExchangeHarness.start(31);
    t = await temporalHarness();
    config = writeWorkerConfig({ temporalAddress: inject('temporalAddress'), taskQueue: t.taskQueue, simUrl: h.sim.url, accounts: [{ exchange: 'binance', account: ACCOUNT }] });
    h.addKey('binance', ACCOUNT);
    const price = h.sim.price(SYMBOL);
    h.sim.setBalance('binance', ACCOUNT, 'USDT', 10_000);
    h.sim.setBalance('binance', ACCOUNT, 'BTC', Math.round((10_000 / price) * 1e5) / 1e5);
    workers.push(...(await Promise.all([startWorkerProcess(config, h.stateDir), startWorkerProcess(config, h.stateDir)])));
    const input: SessionInput = {
      exchange: 'binance',
      account: ACCOUNT,
      symbols: [SYMBOL],
      strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.5 }, band: 0.002, orderType: 'market', maxOrderNotional: 500 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100, maxOrdersPerMinute: 1200, dailyLossLimitPct: 50, maxDrawdownPct: 50 }),
      tickSeconds: 1,
      maxTicksPerRun: 100_000,
    };
    handle = await startSession(t.client, t.taskQueue, input);
    // Ticking, and done with any opening rebalance, so each phase's placement is the one its nudge causes.
    await waitFor(() => handle.query(statusQuery), (s) => s.ticks >= 2, 60_000, 'the session ticking');
    await waitFor(async () => (await handle.describe()).raw.pendingActivities ?? [], (l) => l.length === 0, 30_000, 'no pending activity');
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await t?.close();
    await h?.close();
  });

  /**
   * Kills `victim` (already chosen at the phase), lifts the faults so the retry runs clean,
   * starts a replacement in the background, and waits until the placement is settled and recorded.
   */
  async function killAndSettle(phase: string, victim: WorkerProcess, run: Running): Promise<PhaseFigures> {
    const clientOrderId = (await placement(handle, run.activityId)).clientOrderId;
    const placedBefore = copies(clientOrderId) > 0;
    victim.child.kill('SIGKILL');
    const killedAt = performance.now();
    await victim.exited;
    h.sim.clearFaults();
    const replacement = startWorkerProcess(config, h.stateDir);
    // 0: the venue held the order before the kill.
    let seenAt = placedBefore ? killedAt : undefined;
    let settledAt: number | undefined;
    const done = await waitFor(
      async () => {
        if (seenAt === undefined && copies(clientOrderId) > 0) seenAt = performance.now();
        const p = await placement(handle, run.activityId);
        if (p.completed && settledAt === undefined) settledAt = performance.now();
        return p;
      },
      (p) => !!p.recordedBy,
      90_000,
      `${phase}: placement settled and recorded`,
    );
    const recordedAt = performance.now();
    workers.push(await replacement);
    // A request the dead worker left inside the venue may still land: count once none is held.
    await waitFor(async () => h.sim.inFlightRequests(), (n) => n === 0, 30_000, 'no request held at the venue');
    const f: PhaseFigures = {
      phase,
      clientOrderId,
      killedAttempt: run.attempt,
      orderAtVenueMs: Math.round((seenAt ?? Number.NaN) - killedAt),
      settledMs: Math.round((settledAt ?? recordedAt) - killedAt),
      recordedMs: Math.round(recordedAt - killedAt),
      existed: done.completed!.existed,
      copiesAtVenue: copies(clientOrderId),
      taskTimeouts: done.taskTimeouts ?? 0,
    };
    console.error(
      `placement kill, ${phase}: killed attempt ${f.killedAttempt}; from the kill: order at venue ${f.orderAtVenueMs} ms, settled ${f.settledMs} ms, recorded ${f.recordedMs} ms; existed=${f.existed}; workflow task timeouts before recording ${f.taskTimeouts}; copies at venue ${f.copiesAtVenue} (duplicates ${Math.max(0, f.copiesAtVenue - 1)})`,
    );
    figures.push(f);
    return f;
  }

  /** Sets `faults`, moves the price, and waits for the placement to be held where `held` says. */
  async function hold(faults: FaultPatch, held: (r: Running) => boolean, what: string): Promise<{ run: Running; victim: WorkerProcess }> {
    h.sim.setFaults('binance', faults);
    nudge();
    const run = await waitFor(
      async () => {
        const r = await runningPlacement(handle);
        return r && held(r) && h.sim.inFlightRequests() > 0 ? r : undefined;
      },
      (r) => !!r,
      30_000,
      what,
    );
    const victim = live().find((w) => w.identity === run!.holder);
    if (!victim) throw new Error(`placement held by ${run!.holder}, not one of this test's live workers`);
    return { run: run!, victim };
  }

  it('1. started, not yet sent: the retry that looks first is killed during its lookup; the standby places once', async () => {
    // Attempt 1 is refused before admission (nothing placed); attempt 2's read-first lookup is held.
    const { run, victim } = await hold({ refuseOrders: 1, lookupLatencyMs: 4_000 }, (r) => r.attempt >= 2, 'attempt 2 holding its lookup');
    const f = await killAndSettle('1 started, not sent', victim, run);
    expect(f.copiesAtVenue).toBe(1);
    expect(f.existed).toBe(false);
  }, 120_000);

  it('2a. in flight at the venue, then refused past its window: the standby places once', async () => {
    // The engine gets to it 6.5 s after admission: past the 5 s window, so the venue refuses it.
    const { run, victim } = await hold({ orderLatencyMs: 6_500 }, () => true, 'a placement held in the engine');
    const f = await killAndSettle('2a in flight, expires', victim, run);
    expect(f.copiesAtVenue).toBe(1);
    expect(f.existed).toBe(false);
  }, 120_000);

  it('2b. in flight at the venue, run late inside its window after the kill: the standby finds it', async () => {
    const { run, victim } = await hold({ orderLatencyMs: 4_000 }, () => true, 'a placement held in the engine');
    const id = (await placement(handle, run.activityId)).clientOrderId;
    expect(copies(id)).toBe(0);
    const f = await killAndSettle('2b in flight, lands late', victim, run);
    expect(f.orderAtVenueMs).toBeGreaterThan(0);
    expect(f.copiesAtVenue).toBe(1);
    expect(f.existed).toBe(true);
  }, 120_000);

  it('3. accepted, answer not back: the standby finds the order', async () => {
    const before = h.sim.orders('binance', ACCOUNT).length;
    const { run, victim } = await hold({ orderAnswerLatencyMs: 5_000 }, () => h.sim.orders('binance', ACCOUNT).length > before, 'an accepted placement whose answer is held');
    const id = (await placement(handle, run.activityId)).clientOrderId;
    expect(copies(id)).toBe(1);
    const f = await killAndSettle('3 accepted, answer held', victim, run);
    expect(f.copiesAtVenue).toBe(1);
    expect(f.existed).toBe(true);
  }, 120_000);

  it('4. completed, not yet recorded: the workflow task times out to the standby, which does not place again', async () => {
    // Needs the placement on the standby while the workflow's worker is frozen. A first attempt
    // is dispatched eagerly to the worker whose workflow task scheduled it, so attempt 1 is refused
    // (nothing placed) and attempt 2 goes through the task queue to either worker; one that lands
    // on the workflow's own worker is let through and the next placement tried.
    for (let tries = 1; ; tries++) {
      const { run, victim: holder } = await hold({ refuseOrders: 1, orderLatencyMs: 1_500 }, (r) => r.attempt >= 2, 'a retried placement held in the engine');
      const wf = await workflowWorker(handle);
      const frozen = live().find((w) => w.identity === wf);
      if (!frozen || frozen === holder) {
        expect(tries, 'placements kept landing on the workflow worker').toBeLessThan(10);
        await waitFor(() => placement(handle, run.activityId), (p) => !!p.recordedBy, 30_000, 'placement let through');
        h.sim.clearFaults();
        continue;
      }
      frozen.child.kill('SIGSTOP');
      await waitFor(() => placement(handle, run.activityId), (p) => !!p.completed, 30_000, 'ActivityTaskCompleted while the workflow worker is frozen');
      expect((await placement(handle, run.activityId)).recordedBy).toBeUndefined();
      const f = await killAndSettle(`4 completed, not recorded (try ${tries})`, frozen, run);
      expect(f.copiesAtVenue).toBe(1);
      expect(f.existed).toBe(false);
      expect((await placement(handle, run.activityId)).recordedBy).toBe(holder.identity);
      break;
    }
  }, 150_000);

  it('the whole session: every intended order at the venue exactly once, none lost', async () => {
    await waitFor(async () => (await handle.describe()).raw.pendingActivities ?? [], (l) => l.length === 0, 30_000, 'no pending activity');
    await handle.executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'placement kill test over' }] });
    await waitFor(async () => h.sim.inFlightRequests(), (n) => n === 0, 30_000, 'no request held at the venue');
    const intended = new Set((await scheduledActivityInputs<{ clientOrderId: string }>(handle, 'placeOrder')).map((i) => i.clientOrderId));
    const atVenue = h.sim.orders('binance', ACCOUNT).map((o) => o.clientOrderId);
    const duplicates = atVenue.length - new Set(atVenue).size;
    console.error(`placement kill: ${figures.length} phases, ${intended.size} intended orders, ${atVenue.length} at the venue, ${duplicates} client ids placed twice`);
    expect(duplicates).toBe(0);
    expect(new Set(atVenue)).toEqual(intended);
    expect(figures.map((f) => f.copiesAtVenue)).toEqual(figures.map(() => 1));
  }, 60_000);
});
