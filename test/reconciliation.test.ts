import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import { GatewayError } from '../adapters/exchange/errors';
import type { ExchangeGateway } from '../adapters/exchange/gateway';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { IncidentControl } from '../clients/incident-control';
import { RiskConfig, WardenConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import { clientOrderId } from '../domain/client-order-id';
import type { Alert } from '../domain/severity';
import { startSession } from '../workers/sessions';
import { statusQuery, stopUpdate, type SessionInput } from '../contracts/session';
import { eventsOf } from './helpers/audit-read';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { clientFor } from './helpers/simulator';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { overrideGateways } from './helpers/gateway-override';

let h: ExchangeHarness;
let t: TemporalHarness;
let accountSeq = 0;
const incidents: Alert[] = [];
const incidentIds: string[] = [];
/** Accounts (`exchange/account`) whose order reads fail like a venue answering 503. */
const failOrderReads = new Set<string>();
/** Accounts whose next placement reaches the venue but whose answer never comes back, retries or not. */
const loseNextPlacement = new Set<string>();
const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `rc${i + 1}`);

/** The real gateways, with the faults above switchable per account. */
function faulty(provider: GatewayProvider): GatewayProvider {
  return overrideGateways(provider, (method, { exchange, key, target }) => {
    if (method === 'ordersOnSymbols' && failOrderReads.has(key)) {
      return (() => Promise.reject(new GatewayError('retryable', exchange, 'ExchangeNotAvailable', `${exchange} 503 Service Unavailable`))) as never;
    }
    if (method === 'placeOrder' && loseNextPlacement.has(key)) {
      const lost: ExchangeGateway['placeOrder'] = async (...args) => {
        loseNextPlacement.delete(key);
        await target.placeOrder(...args);
        // What the workflow sees once every retry has run out without an answer.
        throw ApplicationFailure.nonRetryable(`${exchange}: no answer for ${args[1]} after every retry`, 'OutcomeUnknown');
      };
      return lost as never;
    }
    return undefined;
  });
}

beforeAll(async () => {
  h = await ExchangeHarness.start(21);
  t = await temporalHarness();
  const config = WardenConfig.parse({ profile: 'paper', temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue } });
  const incidentControl = new IncidentControl(t.client, config);
  const logger = createLogger({ level: 'silent' });
  const alerts = new AlertRouter({
    channels: [new LogAlertChannel(logger)],
    audit: h.audit,
    logger,
    onIncident: async (a) => {
      incidents.push(a);
      incidentIds.push(await incidentControl.open({ cause: a.dedupKey, severity: a.incident!, summary: a.message, sessions: [], declaredBy: 'alert' }, a.message));
    },
  });
  const secrets = h.secrets();
  const provider = new CcxtGatewayProvider({ secrets, accounts: ACCOUNTS.flatMap((a) => h.accounts(a)), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ gateways: faulty(provider), audit: h.audit, secrets, alerts });
});
afterAll(async () => {
  for (const id of new Set(incidentIds)) await t?.client.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined);
  await t?.close();
  await h?.close();
});

interface Account {
  input: SessionInput;
  /** Places an order at the venue directly, as an earlier, lost run of this session would have. */
  placeDirect(clientOrderId: string, priceFactor?: number): Promise<void>;
}

function account(venue: ExchangeId, overrides: Partial<SessionInput> = {}): Account {
  const name = ACCOUNTS[accountSeq++]!;
  const creds = h.addKey(venue, name);
  h.sim.setBalance(venue, name, 'USDT', 20_000);
  h.sim.setBalance(venue, name, 'BTC', 0.01);
  const price = h.sim.price('BTC/USDT');
  const input: SessionInput = {
    exchange: venue,
    account: name,
    symbols: ['BTC/USDT'],
    strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
    risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
    tickSeconds: 1,
    ...overrides,
  };
  const ccxt = clientFor(h.sim, { venue, ...creds });
  return {
    input,
    async placeDirect(id, priceFactor = 0.5) {
      await ccxt.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.round(h.sim.price('BTC/USDT') * priceFactor), { clientOrderId: id });
    },
  };
}

const session = (input: SessionInput) => `${input.exchange}/${input.account}`;
const status = (input: SessionInput) => t.client.workflow.getHandle(`session/${session(input)}`).query(statusQuery);
const atVenue = (input: SessionInput, clientOrderId: string) => h.sim.orders(input.exchange, input.account).filter((o) => o.clientOrderId === clientOrderId);
/** An id of this session under an earlier epoch: what a terminated-and-restarted session's previous workflow placed. */
const earlierRunId = (input: SessionInput, seq = 1) => clientOrderId(input.exchange, { session: session(input), runSeq: seq, epoch: 'an-earlier-run' });
const reconciliations = (input: SessionInput) => eventsOf(h.audit, 'reconciliation').filter((e) => e.data.session === session(input));
const stop = (input: SessionInput) => t.client.workflow.getHandle(`session/${session(input)}`).executeUpdate(stopUpdate, { args: [{ by: 'test', reason: 'done' }] });

describe('order reconciliation on the real dev server + simulator', () => {
  it('the gateway reads open and recently closed orders on all three venues', async () => {
    for (const venue of VENUE_IDS) {
      const a = account(venue);
      await a.placeDirect('manualopen1');
      await a.placeDirect('manualfilled1', 2); // a buy above the market fills at once
      const gw = await new CcxtGatewayProvider({ secrets: h.secrets(), accounts: h.accounts(a.input.account), enableRateLimit: false, timeoutMs: 3000 }).gateway(venue, a.input.account, 'trading');
      const { open, recent } = await gw.ordersOnSymbols(['BTC/USDT'], Date.now() - 3600_000);
      expect(open.map((o) => o.clientOrderId), venue).toEqual(['manualopen1']);
      expect(recent.map((o) => [o.clientOrderId, o.status]), venue).toEqual([['manualfilled1', 'closed']]);
    }
  });

  it('cancels an order under the desk ids that the session never placed, at session start, opens an incident, and leaves manual orders alone', async () => {
    // An account shared with manual trading: orders without a desk id are the operator's own.
    const a = account('binance', { risk: RiskConfig.parse({ maxConcentrationPct: 100, foreignOrders: 'allowed' }) });
    const stale = earlierRunId(a.input);
    await a.placeDirect(stale);
    await a.placeDirect('manual-hedge-1', 0.4);
    await startSession(t.client, t.taskQueue, a.input);
    const st = await waitFor(() => status(a.input), (s) => s.reconciliation?.state === 'ok' && s.orderSeq > 0, 30_000, 'reconciled, then trading');
    expect(st.reconciliation).toMatchObject({ policy: 'cancel', cancelled: [stale], adopted: [], foreign: ['manual-hedge-1'], trigger: 'session start' });
    expect(atVenue(a.input, stale).map((o) => o.status)).toEqual(['canceled']);
    expect(atVenue(a.input, 'manual-hedge-1').map((o) => o.status)).toEqual(['open']);
    // The session's own orders are untouched: every grid order it placed is still open.
    await waitFor(async () => h.sim.orders(a.input.exchange, a.input.account).filter((o) => o.status === 'open' && o.clientOrderId.startsWith('wd')).length, (n) => n >= 2, 20_000, 'grid orders');
    const incident = incidents.find((i) => i.dedupKey === `unknown_orders:${session(a.input)}`);
    expect(incident).toMatchObject({ name: 'unknown_orders', incident: 'SEV-3' });
    expect(incident!.message).toContain(stale);
    const desc = await t.client.workflow.getHandle(`incident/unknown_orders:${session(a.input)}`).describe();
    expect(desc.status.name).toBe('RUNNING');
    expect(reconciliations(a.input)[0]?.data).toMatchObject({ trigger: 'session start', outcome: 'ok', cancelled: [stale], foreign: ['manual-hedge-1'] });
    expect(eventsOf(h.audit, 'order_cancelled').some((e) => e.data.clientOrderId === stale && /reconciliation/.test(String(e.data.reason)))).toBe(true);
    await stop(a.input);
  });

  it('with the adopt policy keeps the unknown order, shows it, and does not report it again after continue-as-new', async () => {
    const a = account('okx', { risk: RiskConfig.parse({ maxConcentrationPct: 100, unknownOrders: 'adopt' }), maxTicksPerRun: 3 });
    const stale = earlierRunId(a.input, 7);
    await a.placeDirect(stale);
    const handle = await startSession(t.client, t.taskQueue, a.input);
    const st = await waitFor(() => status(a.input), (s) => (s.reconciliation?.runs ?? 0) >= 3 && s.openOrders.some((o) => o.clientOrderId === stale), 40_000, 'adopted, shown, and reconciled again after continue-as-new');
    expect(st.reconciliation).toMatchObject({ state: 'ok', policy: 'adopt', adopted: [stale], cancelled: [] });
    expect((await t.client.workflow.getHandle(handle.workflowId).describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect(atVenue(a.input, stale).map((o) => o.status)).toEqual(['open']);
    const runs = reconciliations(a.input);
    expect(runs.map((e) => e.data.trigger).slice(0, 2)).toEqual(['session start', 'continue-as-new']);
    expect(runs.filter((e) => (e.data.adopted as string[]).includes(stale)).length).toBe(1);
    expect(incidents.filter((i) => i.dedupKey === `unknown_orders:${session(a.input)}`).length).toBe(1);
    await stop(a.input);
  });

  it('places nothing while reconciliation cannot read the venue, says why, and trades once the venue answers', async () => {
    const a = account('bybit', { failureThreshold: 100 });
    failOrderReads.add(session(a.input));
    await startSession(t.client, t.taskQueue, a.input);
    const failed = await waitFor(() => status(a.input), (s) => s.reconciliation?.state === 'failed' && s.ticks >= 3, 40_000, 'reconciliation failing over several ticks');
    expect(failed.reconciliation?.reason).toMatch(/reconciliation failed: the venue's orders could not be read .*503.*no order is placed/);
    expect(failed.lastRefusals).toEqual([failed.reconciliation?.reason]);
    expect(failed.orderSeq).toBe(0);
    expect(h.sim.orders(a.input.exchange, a.input.account)).toEqual([]);
    // The snapshot works all along: the session observes, it just does not trade.
    expect(failed.breaker.status).toBe('closed');
    expect(reconciliations(a.input).map((e) => e.data.outcome)).toEqual(['failed']);

    failOrderReads.delete(session(a.input));
    const ok = await waitFor(() => status(a.input), (s) => s.reconciliation?.state === 'ok' && s.orderSeq > 0, 30_000, 'reconciled and trading');
    expect(ok.reconciliation?.reason).toBeUndefined();
    expect(reconciliations(a.input).map((e) => e.data.outcome)).toEqual(['failed', 'ok']);
    await stop(a.input);
  });

  it('resolves an order whose placement outcome is unknown before it places the next one', async () => {
    const a = account('binance');
    loseNextPlacement.add(session(a.input));
    await startSession(t.client, t.taskQueue, a.input);
    const pending = await waitFor(() => status(a.input), (s) => s.reconciliation?.unknown.length === 1, 30_000, 'an unknown outcome');
    const lost = pending.reconciliation!.unknown[0]!;
    expect(pending.orderSeq).toBe(1);
    expect(pending.reconciliation?.state).toBe('pending');
    // The venue did take it; the session does not know yet and places nothing for several ticks.
    expect(atVenue(a.input, lost).map((o) => o.status)).toEqual(['open']);
    const waiting = await waitFor(() => status(a.input), (s) => s.ticks >= pending.ticks + 3, 20_000, 'ticks while pending');
    expect(waiting.orderSeq).toBe(1);
    expect(waiting.reconciliation?.state).toBe('pending');
    expect(waiting.lastRefusals[0]).toMatch(/reconciliation pending/);

    const resolved = await waitFor(() => status(a.input), (s) => s.reconciliation?.state === 'ok' && s.reconciliation.unknown.length === 0 && s.orderSeq > 1, 30_000, 'resolved, then trading');
    expect(resolved.reconciliation?.cancelled).toEqual([]);
    const byTrigger = reconciliations(a.input).find((e) => e.data.trigger === `unknown outcome of ${lost}`);
    expect(byTrigger?.data).toMatchObject({ outcome: 'ok', resolved: [`${lost}:open`], cancelled: [] });
    // Resolved as the session's own: still open, placed once, and the next order came after the resolution.
    expect(atVenue(a.input, lost).map((o) => o.status)).toEqual(['open']);
    // orderSeq moves when a placement starts; its order_placed event is written once the venue answers.
    const placedAfter = await waitFor(
      async () => eventsOf(h.audit, 'order_placed').filter((e) => e.data.session === session(a.input) && e.data.clientOrderId !== lost),
      (list) => list.length > 0,
      20_000,
      'the next order placed',
    );
    expect(placedAfter.every((e) => e.seq > byTrigger!.seq)).toBe(true);
    await stop(a.input);
  });
});
