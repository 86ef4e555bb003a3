import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountState, ExchangeGateway } from '../adapters/exchange/gateway';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { RiskConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import { startSession } from '../workers/sessions';
import { pauseUpdate, resumeUpdate, statusQuery, stopSignal, stopUpdate, type SessionInput, type SessionStatus } from '../contracts/session';
import { historyText, scheduledActivityInputs } from './helpers/history';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { overrideGateways } from './helpers/gateway-override';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: ExchangeHarness;
let t: TemporalHarness;
let accountSeq = 0;

/** Snapshots to hold in flight, by `exchange/account`: each catches the next one after it has read the venue. */
const holds = new Map<string, { caught: (state: AccountState) => void; released: Promise<void> }>();

/**
 * Holds the account's next snapshot after it has read the venue, until released:
 * a tick whose picture of the account is taken now and lands whenever the test says.
 */
function holdNextSnapshot(input: SessionInput): { caught: Promise<AccountState>; release: () => void } {
  let release = () => undefined as void;
  const released = new Promise<void>((r) => (release = r));
  const caught = new Promise<AccountState>((resolve) => holds.set(`${input.exchange}/${input.account}`, { caught: resolve, released }));
  return { caught, release };
}

/** `p`, or a failure naming `what` after `ms` (a deadline, not a wait). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The real gateways, with accountState able to hold a snapshot (holdNextSnapshot). */
function holdingSnapshots(provider: GatewayProvider): GatewayProvider {
  return overrideGateways(provider, (method, { key, target }) => {
    if (method !== 'accountState') return undefined;
    const held: ExchangeGateway['accountState'] = async (symbols) => {
      const state = await target.accountState(symbols);
      const hold = holds.get(key);
      if (hold) {
        holds.delete(key);
        hold.caught(state);
        await hold.released;
      }
      return state;
    };
    return held as never;
  });
}

beforeAll(async () => {
  h = await ExchangeHarness.start(3);
  t = await temporalHarness();
  // One worker serves every account the tests create.
  const accounts = Array.from({ length: 12 }, (_, i) => `s${i + 1}`);
  const secrets = h.secrets();
  const provider = new (await import('../adapters/exchange/provider')).CcxtGatewayProvider({
    secrets,
    accounts: accounts.flatMap((a) => h.accounts(a)),
    enableRateLimit: false,
    timeoutMs: 3000,
  });
  await t.startWorker({ gateways: holdingSnapshots(provider), audit: h.audit, secrets });
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

/** A funded account with a grid around the current price: buys below, sells above, all resting. */
function gridSession(venue: ExchangeId, overrides: Partial<SessionInput> = {}, balances = { USDT: 20_000, BTC: 0.01 }): SessionInput {
  const account = `s${++accountSeq}`;
  h.addKey(venue, account);
  for (const [asset, total] of Object.entries(balances)) h.sim.setBalance(venue, account, asset, total);
  const price = h.sim.price('BTC/USDT');
  return {
    exchange: venue,
    account,
    symbols: ['BTC/USDT'],
    strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
    risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
    tickSeconds: 1,
    ...overrides,
  };
}

const status = (input: SessionInput) => t.client.workflow.getHandle(`session/${input.exchange}/${input.account}`).query(statusQuery);
const openAtVenue = (input: SessionInput) => h.sim.orders(input.exchange, input.account).filter((o) => o.status === 'open');

describe('trading session on the real dev server + simulator', () => {
  it('trades, continues as new, and keeps its state (orders, sequence, risk marks)', async () => {
    const input = gridSession('binance', { maxTicksPerRun: 2 });
    const handle = await startSession(t.client, t.taskQueue, input);
    const firstRun = handle.firstExecutionRunId;
    const s = await waitFor(() => status(input), (st) => st.orderSeq >= 4 && st.ticks >= 5, 30_000, 'orders and a few continue-as-new');
    const desc = await t.client.workflow.getHandle(handle.workflowId).describe();
    expect(desc.runId).not.toBe(firstRun); // it has continued as new at least twice
    // The grid's levels each hold exactly one order: state survived continue-as-new, nothing was re-placed.
    const open = openAtVenue(input);
    expect(open.length).toBe(s.orderSeq);
    expect(new Set(open.map((o) => o.price)).size).toBe(open.length);
    expect(new Set(open.map((o) => o.clientOrderId)).size).toBe(open.length);
    expect(s.breaker.status).toBe('closed');
    await handle.executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'done' }] });
  });

  it('a daily-loss breach trips the breaker, cancels orders, and refuses new ones until resume', async () => {
    const input = gridSession('okx', {}, { USDT: 5_000, BTC: 0.2 });
    const handle = await startSession(t.client, t.taskQueue, input);
    await waitFor(() => status(input), (st) => st.orderSeq > 0 && openAtVenue(input).length > 0, 20_000, 'resting grid orders');
    const price = h.sim.price('BTC/USDT');
    h.sim.setPrice('BTC/USDT', price * 0.7);
    const tripped = await waitFor(() => status(input), (st) => st.breaker.status === 'open', 20_000, 'breaker open');
    expect(tripped.breaker).toMatchObject({ status: 'open', trippedBy: 'daily_loss' });
    expect(tripped.breaker.reason).toMatch(/daily P&L/i);
    await waitFor(async () => openAtVenue(input).length, (n) => n === 0, 10_000, 'orders cancelled');
    const seq = tripped.orderSeq;
    // The session keeps observing the account while halted, but places nothing.
    const later = await waitFor(() => status(input), (st) => st.ticks >= tripped.ticks + 3, 20_000, 'more ticks');
    expect(later.orderSeq).toBe(seq);
    expect(openAtVenue(input)).toEqual([]);

    h.sim.setPrice('BTC/USDT', price);
    await expect(handle.executeUpdate(resumeUpdate, { args: [{ by: '', reason: 'x' }] })).rejects.toMatchObject({ cause: { message: 'by: an operator id is required' } });
    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'op-7', reason: 'loss understood' }] });
    expect(resumed.breaker).toMatchObject({ status: 'closed', rearmedBy: 'op-7' });
    await waitFor(() => status(input), (st) => st.orderSeq > seq, 20_000, 'trading again after resume');
    const breakerEvents = h.audit instanceof Object ? (await import('./helpers/audit-read')).eventsOf(h.audit, 'circuit_breaker') : [];
    expect(breakerEvents.map((e) => e.data.state)).toEqual(['open', 'closed']);
    await handle.executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'done' }] });
  });

  it('refuses to start on a key that can withdraw (CRITICAL key audit), and says why', async () => {
    const input = gridSession('okx');
    h.addKey('okx', input.account, { permissions: { withdraw: true } });
    const handle = await startSession(t.client, t.taskQueue, input);
    const err = (await handle.result().then(() => undefined, (e: { cause?: Error }) => e.cause)) as Error | undefined;
    expect(err?.message).toMatch(new RegExp(`^session okx/${input.account} refused to start: .*[Ww]ithdraw`));
    expect(h.sim.orders('okx', input.account)).toEqual([]);
    const audited = (await import('./helpers/audit-read')).eventsOf(h.audit, 'key_audit').filter((e) => e.data.account === input.account);
    expect(audited.some((e) => e.data.severity === 'CRITICAL')).toBe(true);
  });

  it('a revoked key stops the session with an auth reason', async () => {
    const input = gridSession('bybit');
    await startSession(t.client, t.taskQueue, input);
    await waitFor(() => status(input), (st) => st.ticks > 0, 20_000, 'first tick');
    const key = h.sim.keys('bybit').find((k) => k.account === input.account)!;
    h.sim.revokeKey('bybit', key.apiKey);
    const st = await waitFor(() => status(input), (s) => s.breaker.status === 'open', 20_000, 'breaker open');
    expect(st.breaker).toMatchObject({ trippedBy: 'auth', reason: 'exchange rejected the API key (authentication error)' });
  });

  it('stop cancels every open order on all three venues, fast, and reports what it cancelled', async () => {
    const inputs = VENUE_IDS.map((v) => gridSession(v));
    const handles = await Promise.all(inputs.map((i) => startSession(t.client, t.taskQueue, { ...i, tickSeconds: 3600 })));
    for (const i of inputs) await waitFor(async () => openAtVenue(i).length, (n) => n >= 2, 20_000, `${i.exchange} resting orders`);
    const started = Date.now();
    const reports = await Promise.all(handles.map((hd) => hd.executeUpdate(stopUpdate, { args: [{ by: 'op-1', reason: 'kill switch test' }] })));
    const elapsed = Date.now() - started;
    inputs.forEach((i, k) => {
      // Nothing is left open, and the report names exactly the orders the venue now shows cancelled
      // (a placement in flight when the stop arrived finishes first and is cancelled too).
      expect(openAtVenue(i)).toEqual([]);
      const cancelledAtVenue = h.sim.orders(i.exchange, i.account).filter((o) => o.status === 'canceled').map((o) => o.clientOrderId).sort();
      expect(cancelledAtVenue.length).toBeGreaterThanOrEqual(2);
      expect(reports[k]!.cancelled.map((c) => c.clientOrderId).sort()).toEqual(cancelledAtVenue);
    });
    // The tick timer is an hour: the stop did not wait for it.
    expect(elapsed).toBeLessThan(10_000);
    const st: SessionStatus = await status(inputs[0]!);
    expect(st.mode).toBe('stopped');
  });

  it("stop's reply and the next status show no open orders once the venue confirmed the cancels, then the session looks again", async () => {
    const input = gridSession('okx', { tickSeconds: 3600 });
    const handle = await startSession(t.client, t.taskQueue, input);
    await waitFor(async () => openAtVenue(input).length, (n) => n >= 2, 20_000, 'resting grid orders');
    // The first tick's snapshot predates its orders; resume wakes the loop for a tick that sees them.
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'test', reason: 'look again' }] });
    const before = await waitFor(() => status(input), (st) => st.openOrders.length >= 2, 20_000, 'status showing the resting orders');

    // The look at the account the stop asks for is held: the reply and the next status come from the cancels alone.
    const look = holdNextSnapshot(input);
    try {
      const result = await handle.executeUpdate(stopUpdate, { args: [{ by: 'op-1', reason: 'demo stop' }] });
      expect(openAtVenue(input)).toEqual([]);
      expect(result.cancelled.length).toBe(before.openOrders.length);
      expect(result.status).toMatchObject({ mode: 'stopped', openOrders: [] });
      expect(result.status.lastStop?.cancelled.length).toBe(result.cancelled.length);
      expect((await status(input)).openOrders).toEqual([]);

      // Woken once the cancels were confirmed (the timer is an hour), the session reads the venue again
      // and then shows nothing locked in orders.
      const fresh = await within(look.caught, 10_000, 'the look after the stop');
      expect(fresh.openOrders).toEqual([]);
      look.release();
      const after = await waitFor(() => status(input), (st) => st.ticks > before.ticks && st.lastTick?.at !== before.lastTick?.at, 10_000, 'the look landing');
      expect(after.openOrders).toEqual([]);
      for (const [asset, b] of Object.entries(after.positions)) expect({ asset, used: b.used }).toEqual({ asset, used: 0 });
    } finally {
      look.release();
      await handle.terminate('test over');
    }
  });

  it('a snapshot read before the cancels and landing after them does not bring the cancelled orders back', async () => {
    const input = gridSession('bybit', { tickSeconds: 3600 });
    const handle = await startSession(t.client, t.taskQueue, input);
    await waitFor(async () => openAtVenue(input).length, (n) => n >= 2, 20_000, 'resting grid orders');
    // A tick reads the account while the orders rest, and its snapshot is held in flight across the stop.
    const inFlight = holdNextSnapshot(input);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'test', reason: 'tick in flight' }] });
    const read = await within(inFlight.caught, 10_000, 'the tick reading the account');
    expect(read.openOrders.length).toBeGreaterThanOrEqual(2);

    const next = holdNextSnapshot(input);
    try {
      const result = await handle.executeUpdate(stopUpdate, { args: [{ by: 'op-1', reason: 'stop during a tick' }] });
      expect(openAtVenue(input)).toEqual([]);
      expect(result.status.openOrders).toEqual([]);
      expect((await status(input)).openOrders).toEqual([]);
      inFlight.release();
      // The stop asked for another look: once that tick reads the venue, the held snapshot has landed.
      const fresh = await within(next.caught, 10_000, 'the look after the stop');
      expect(fresh.openOrders).toEqual([]);
      const landed = await status(input);
      expect(landed.lastTick?.at).not.toBe(result.status.lastTick?.at);
      expect(landed).toMatchObject({ mode: 'stopped', openOrders: [] });
    } finally {
      inFlight.release();
      next.release();
      await handle.terminate('test over');
    }
  });
  it('stop cancels at once without waiting for a placement in flight, and a second sweep cancels what that placement yields', async () => {
    const input = gridSession('okx', { tickSeconds: 3600 });
    // Every placement runs 4.5 s late at the venue, inside its 5 s window, after ccxt (3 s here) gave up:
    // the placement in flight would be retried, and on the old code the stop waited for it.
    h.sim.setFaults('okx', { orderLatencyMs: 4_500 });
    try {
      const handle = await startSession(t.client, t.taskQueue, input);
      const placementScheduled = async () =>
        (await handle.fetchHistory()).events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'placeOrder') ?? false;
      await waitFor(async () => (await placementScheduled()) && h.sim.inFlightRequests() > 0, (v) => v, 20_000, 'a placement inside the venue');
      const reply = await handle.executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'placement in flight' }] });
      // The reply came before the venue's engine ran that placement: the stop did not wait for it.
      expect(h.sim.orders('okx', input.account)).toHaveLength(0);
      expect(reply.status.mode).toBe('stopped');
      const seqAtStop = reply.status.orderSeq;
      // The late order lands, and the second sweep cancels it; nothing else is placed after the stop.
      await waitFor(async () => ({ inFlight: h.sim.inFlightRequests(), orders: h.sim.orders('okx', input.account) }), (v) => v.inFlight === 0 && v.orders.length > 0, 30_000, 'the late order at the venue');
      await waitFor(async () => openAtVenue(input).length, (n) => n === 0, 30_000, 'the second sweep');
      // The venue shows the cancel a moment before the session records it.
      const after = await waitFor(() => status(input), (st) => (st.lastStop?.cancelled.length ?? 0) > 0, 10_000, 'the second sweep in the status');
      expect(after.orderSeq).toBe(seqAtStop);
      expect(h.sim.orders('okx', input.account).length).toBe(1);
      await t.client.workflow.getHandle(handle.workflowId).terminate('test done');
    } finally {
      h.sim.setFaults('okx', { orderLatencyMs: 0 });
    }
  });
  it('refuses a 1.5 MB pause reason and an oversized operator id, naming the field, and changes nothing (issue 13 item 7)', async () => {
    const input = gridSession('binance', { tickSeconds: 3600 });
    const handle = await startSession(t.client, t.taskQueue, input);
    try {
      const before = await waitFor(() => status(input), (st) => st.ticks >= 1, 20_000, 'the first tick');
      const huge = 'x'.repeat(1_500_000);
      await expect(handle.executeUpdate(pauseUpdate, { args: [{ by: 'op-1', reason: huge }] })).rejects.toMatchObject({ cause: { message: 'reason: must be at most 500 characters (got 1500000)' } });
      await expect(handle.executeUpdate(stopUpdate, { args: [{ by: 'op-'.repeat(100), reason: 'ok' }] })).rejects.toMatchObject({ cause: { message: 'by: must be at most 128 characters (got 300)' } });
      const after = await status(input);
      expect(after.mode).toBe(before.mode);
      expect(after.mode).toBe('trading');
      expect(after.lastStop).toBeUndefined();
      // A refused Update leaves no trace in history: neither the payload nor a paused event.
      const history = await historyText(handle);
      expect(history).not.toContain('xxxxxxxxxxxxxxxxxxxx');
      expect(history.length).toBeLessThan(500_000);
    } finally {
      await handle.terminate('test over');
    }
  });

  it('a stop Signal, which cannot be refused, still stops with an oversized reason and clips it before the audit trail', async () => {
    const input = gridSession('okx', { tickSeconds: 3600 });
    const handle = await startSession(t.client, t.taskQueue, input);
    try {
      await waitFor(() => status(input), (st) => st.ticks >= 1, 20_000, 'the first tick');
      await handle.signal(stopSignal, { by: 'op-1', reason: `long ${'z'.repeat(20_000)}` });
      await waitFor(() => status(input), (st) => st.mode === 'stopped' && !!st.lastStop, 20_000, 'the stop');
      const audits = await scheduledActivityInputs<{ type: string; data: { event?: string; detail?: string } }>(handle, 'recordAudit');
      const stopped = audits.find((a) => a.data.event === 'stopped');
      expect(stopped?.data.detail?.length).toBeLessThan(700);
      expect(stopped?.data.detail).toContain('long zzz');
    } finally {
      await handle.terminate('test over');
    }
  });
});
