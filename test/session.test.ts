import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskConfig, type ExchangeId } from '../config/schema';
import { startSession } from '../workers/sessions';
import { resumeUpdate, statusQuery, stopUpdate, type SessionInput, type SessionStatus } from '../workflows/trading-session';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: ExchangeHarness;
let t: TemporalHarness;
let accountSeq = 0;

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
  await t.startWorker({ gateways: provider, audit: h.audit, secrets });
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
});
