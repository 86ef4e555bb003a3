import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RiskConfig } from '../config/schema';
import { statusQuery } from '../contracts/session';
import { startSession } from '../workers/sessions';
import { eventsOf } from './helpers/audit-read';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let h: ExchangeHarness;
let t: TemporalHarness;

beforeAll(async () => {
  h = await ExchangeHarness.start(31);
  t = await temporalHarness();
  const secrets = h.secrets();
  const { CcxtGatewayProvider } = await import('../adapters/exchange/provider');
  const provider = new CcxtGatewayProvider({ secrets, accounts: h.accounts('skewed'), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ gateways: provider, audit: h.audit, secrets });
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

describe("a session on a venue whose clock is 8 s behind the worker's (past binance's 5 s window)", () => {
  it('measures it before its first read, trades on the venue clock, and tells an operator', async () => {
    h.addKey('binance', 'skewed');
    h.sim.setBalance('binance', 'skewed', 'USDT', 10_000);
    h.sim.setFaults('binance', { clockSkewMs: -8_000 });
    const session = await startSession(t.client, t.taskQueue, {
      exchange: 'binance',
      account: 'skewed',
      symbols: ['BTC/USDT'],
      strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.05 }, band: 0.01, orderType: 'market', maxOrderNotional: 200 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100, lowBalanceUsd: 0 }),
      tickSeconds: 1,
    });
    const st = await waitFor(() => session.query(statusQuery), (s) => s.orderSeq > 0, 30_000, 'an order placed on the skewed venue');
    // Every signed read and order went through: no exchange failure counted.
    expect(st.breaker).toMatchObject({ status: 'closed', consecutiveFailures: 0 });
    const alert = await waitFor(
      async () => eventsOf(h.audit, 'alert').find((e) => e.data.condition === 'clock_skew'),
      (a) => a !== undefined,
      10_000,
      'the clock_skew alert',
    );
    expect(alert!.data.message).toMatch(/binance\/skewed: the venue's clock is [78]\.\d s behind this worker's/);
    await session.terminate('test done');
    h.sim.clearFaults();
  });
});
