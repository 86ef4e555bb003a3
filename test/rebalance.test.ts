import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskConfig, WardenConfig } from '../config/schema';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import type { ExchangeId } from '../domain/market';
import { startSession } from '../workers/sessions';
import { confirmTransferUpdate, rebalanceStatusQuery, rejectRebalanceUpdate } from '../contracts/rebalance';
import { resumeUpdate, statusQuery, type SessionInput } from '../contracts/session';
import { eventsOf } from './helpers/audit-read';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: ExchangeHarness;
let t: TemporalHarness;
let n = 0;
let worker: Awaited<ReturnType<TemporalHarness['startWorker']>>;

beforeAll(async () => {
  h = await ExchangeHarness.start(9);
  t = await temporalHarness();
  const secrets = h.secrets();
  const provider = new (await import('../adapters/exchange/provider')).CcxtGatewayProvider({
    secrets,
    accounts: ['r1', 'r2', 'r3', 'r4'].flatMap((a) => h.accounts(a)),
    enableRateLimit: false,
    timeoutMs: 3000,
  });
  worker = await t.startWorker({ gateways: provider, audit: h.audit, secrets });
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

/** A session whose warm balance (3,000 USDT) is under the 5,000 USD threshold. */
async function lowBalanceSession(venue: ExchangeId) {
  const account = `r${++n}`;
  h.addKey(venue, account);
  h.sim.setBalance(venue, account, 'USDT', 3000);
  const input: SessionInput = {
    exchange: venue,
    account,
    symbols: ['BTC/USDT'],
    strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.1 }, band: 0.02, orderType: 'market', maxOrderNotional: 200 },
    risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
    tickSeconds: 1,
    // The operator wait keeps its defaults (test/timers.test.ts runs them); only the balance watch is quick here.
    rebalance: { coldUsd: 100_000, hotUsd: 1_000, operators: ['tg:42'], balancePollSeconds: 1 },
  };
  const session = await startSession(t.client, t.taskQueue, input);
  const st = await waitFor(() => session.query(statusQuery), (s) => !!s.rebalancing, 20_000, 'rebalance started');
  return { input, session, rebalance: t.client.workflow.getHandle(st.rebalancing!), account };
}

describe('rebalance: the manual cold -> warm procedure with its human wait', () => {
  it('low balance -> alert -> no trading until confirmTransfer -> balance seen -> session resumes', async () => {
    const { session, rebalance, account } = await lowBalanceSession('binance');
    const pending = await rebalance.query(rebalanceStatusQuery);
    expect(pending).toMatchObject({ status: 'awaiting_transfer', session: `binance/${account}` });
    // Tiers: total 104,000 -> warm target 19,760; the operator is asked for the gap.
    expect(pending.amountNeededUsd).toBeCloseTo(19_760 - 3000, 0);
    // Nobody has answered yet: the session places nothing meanwhile.
    expect((await session.query(statusQuery)).orderSeq).toBe(0);
    expect((await session.query(statusQuery)).mode).toBe('paused');
    expect(eventsOf(h.audit, 'alert').some((e) => e.data.condition === 'low_balance' && String(e.data.message).includes(`/approve ${rebalance.workflowId}`))).toBe(true);

    // Invalid updates are refused with the field named, and change nothing.
    const bad = (args: { by: string; amountUsd: number; reference: string }) => rebalance.executeUpdate(confirmTransferUpdate, { args: [args] }).catch((e: { cause?: Error }) => e.cause?.message);
    expect(await bad({ by: 'tg:99', amountUsd: 17_000, reference: 'tx-1' })).toBe('by: tg:99 is not an authorized operator');
    expect(await bad({ by: 'tg:42', amountUsd: -5, reference: 'tx-1' })).toMatch(/^amountUsd: must be a positive number/);
    expect(await bad({ by: 'tg:42', amountUsd: 17_000_000, reference: 'tx-1' })).toMatch(/^amountUsd: 17000000 is implausible/);
    expect(await bad({ by: 'tg:42', amountUsd: 17_000, reference: '' })).toMatch(/^reference: /);
    expect((await rebalance.query(rebalanceStatusQuery)).status).toBe('awaiting_transfer');

    await rebalance.executeUpdate(confirmTransferUpdate, { args: [{ by: 'tg:42', amountUsd: 17_000, reference: 'binance-tx-8812' }] });
    await waitFor(() => rebalance.query(rebalanceStatusQuery), (r) => r.status === 'confirming_balance', 10_000, 'watching the balance');
    // The operator's own transfer lands at the venue (by hand, outside Warden).
    h.sim.setBalance('binance', account, 'USDT', 20_000);
    const done = await rebalance.result();
    expect(done).toMatchObject({ status: 'completed' });
    const resumed = await waitFor(() => session.query(statusQuery), (s) => s.mode === 'trading' && s.orderSeq > 0, 20_000, 'trading again');
    expect(resumed.rebalancing).toBeUndefined();
    const steps = eventsOf(h.audit, 'rebalance_step').filter((e) => e.data.rebalance === rebalance.workflowId).map((e) => e.data.step);
    expect(steps).toEqual(expect.arrayContaining(['detected', 'operator_alerted', 'transfer_confirmed', 'balance_increase_seen', 'session_resumed']));
  });

  it('reject: audited, and the session stays paused', async () => {
    const { session, rebalance } = await lowBalanceSession('okx');
    await expect(rebalance.executeUpdate(rejectRebalanceUpdate, { args: [{ by: 'tg:42', reason: '' }] })).rejects.toMatchObject({ cause: { message: 'reason: required' } });
    await rebalance.executeUpdate(rejectRebalanceUpdate, { args: [{ by: 'tg:42', reason: 'cold wallet custodian unavailable' }] });
    expect(await rebalance.result()).toMatchObject({ status: 'rejected' });
    expect(eventsOf(h.audit, 'rebalance_step').find((e) => e.data.rebalance === rebalance.workflowId && e.data.step === 'rejected')?.data.detail).toBe('by tg:42: cold wallet custodian unavailable');
    // Paused, but no longer waiting for the finished procedure (it used to wait for it forever).
    const after = await waitFor(() => session.query(statusQuery), (x) => x.rebalancing === undefined, 20_000, 'the session told the rebalance ended');
    expect(after.mode).toBe('paused');
    expect(eventsOf(h.audit, 'session_event').find((e) => e.data.event === 'rebalance_ended' && String(e.data.detail).startsWith(rebalance.workflowId))?.data.detail).toBe(
      `${rebalance.workflowId} rejected (by tg:42); trading stays paused until an operator resumes`,
    );
    // An operator resumes on the low balance: the next low balance starts a new procedure, as it should.
    await session.executeUpdate(resumeUpdate, { args: [{ by: 'tg:42', reason: 'trade on what is there' }] });
    const again = await waitFor(() => session.query(statusQuery), (x) => !!x.rebalancing && x.rebalancing !== rebalance.workflowId, 20_000, 'a new rebalance');
    expect(again.mode).toBe('paused');
    await t.client.workflow.getHandle(again.rebalancing!).terminate('test cleanup');
  });
  it("`rebalances` lists the desk's own, and reads a finished one from history with no worker running", async () => {
    const { rebalance, account, session } = await lowBalanceSession('bybit');
    await rebalance.executeUpdate(rejectRebalanceUpdate, { args: [{ by: 'tg:42', reason: 'listing test' }] });
    await rebalance.result();
    // Another desk in the namespace: a rebalance of an account this desk does not hold.
    const stranger = await lowBalanceSession('binance');
    const deskOf = (accounts: string[]) =>
      new TemporalDeskControl(t.client, WardenConfig.parse({ profile: 'paper', temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue }, exchanges: accounts.map((a) => ({ exchange: 'bybit', account: a })) }));
    const desk = deskOf([account]);
    const listed = await waitFor(() => desk.rebalances(), (l) => l.some((r) => r.id === rebalance.workflowId), 10_000, 'the rebalance listed');
    expect(listed.map((r) => [r.id, r.status])).toEqual([[rebalance.workflowId, 'rejected']]);
    expect(listed.some((r) => r.id === stranger.rebalance.workflowId)).toBe(false);
    await Promise.all([stranger.rebalance.terminate('test cleanup'), stranger.session.terminate('test cleanup'), session.terminate('test cleanup')]);

    // The worker is gone: a status query would wait for one; the finished procedure is read from its result.
    worker.worker.shutdown();
    await worker.running;
    expect((await desk.rebalances()).map((r) => [r.id, r.status])).toEqual([[rebalance.workflowId, 'rejected']]);
  });
});
