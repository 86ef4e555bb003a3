import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvisionedDevServer, type DevServer } from '../adapters/temporal-dev-server';
import { RiskConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import { startSession } from '../workers/sessions';
import { statusQuery, type SessionInput, type SessionStatus } from '../contracts/session';
import { tempDir } from './helpers/audit';
import { ExchangeHarness } from './helpers/exchange';
import { waitFor } from './helpers/wait';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from './helpers/worker-process';

/** Short for the test (okx's floor is 10 s); production sessions use the 60 s default. */
const COUNTDOWN_S = 10;
const ACCOUNT = 'dms';

/**
 * The whole desk dies: the worker process is SIGKILLed and so is the Temporal server
 * (a server of this file's own: the suite's shared one must live on). Nothing of the
 * desk is left to cancel anything, yet okx (the simulator, through the same wire
 * calls) cancels the session's resting orders once the countdown the session kept
 * re-arming runs out. binance spot has no such switch: its orders stay, the gap the
 * README documents (the kill switch and start-up reconciliation cover it).
 */
describe("the venue's dead man's switch when the whole desk dies", () => {
  let h: ExchangeHarness;
  let server: DevServer;
  let connection: Connection;
  let client: Client;
  let worker: WorkerProcess | undefined;
  const taskQueue = `dms-${randomUUID()}`;

  beforeAll(async () => {
    h = await ExchangeHarness.start(11);
    server = await startProvisionedDevServer({ dbFile: join(tempDir('warden-dms-temporal-'), 'temporal.db') });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: server.namespace });
    const venues: ExchangeId[] = ['okx', 'binance'];
    for (const venue of venues) {
      h.addKey(venue, ACCOUNT);
      h.sim.setBalance(venue, ACCOUNT, 'USDT', 20_000);
      h.sim.setBalance(venue, ACCOUNT, 'BTC', 0.01);
    }
    const config = writeWorkerConfig({ temporalAddress: server.address, taskQueue, simUrl: h.sim.url, accounts: venues.map((exchange) => ({ exchange, account: ACCOUNT })) });
    worker = await startWorkerProcess(config, h.stateDir);
  }, 180_000);

  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await h?.close();
  });

  /** A grid around the price: buys below, sells above, all resting. */
  const gridSession = (exchange: ExchangeId): SessionInput => {
    const price = h.sim.price('BTC/USDT');
    return {
      exchange,
      account: ACCOUNT,
      symbols: ['BTC/USDT'],
      strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
      tickSeconds: 1,
      deadMansSwitchSeconds: COUNTDOWN_S,
    };
  };
  const open = (venue: ExchangeId) => h.sim.orders(venue, ACCOUNT).filter((o) => o.status === 'open');
  const status = (venue: ExchangeId): Promise<SessionStatus> => client.workflow.getHandle(`session/${venue}/${ACCOUNT}`).query(statusQuery);

  it('okx cancels the resting orders itself once the countdown runs out; binance (none for spot) keeps them', async () => {
    await startSession(client, taskQueue, gridSession('okx'));
    await startSession(client, taskQueue, gridSession('binance'));

    const okx = await waitFor(() => status('okx'), (s) => !!s.deadMansSwitch?.armedUntil && open('okx').length > 0, 60_000, 'okx orders resting under an armed switch');
    expect(okx.deadMansSwitch).toMatchObject({ supported: true, seconds: COUNTDOWN_S });
    const binance = await waitFor(() => status('binance'), (s) => !!s.deadMansSwitch && open('binance').length > 0, 60_000, 'binance orders resting');
    expect(binance.deadMansSwitch).toMatchObject({ supported: false });
    expect(binance.deadMansSwitch?.reason).toMatch(/futures/);
    expect(h.sim.cancelAfter('binance', ACCOUNT)).toBeUndefined();

    // While the desk lives it keeps re-arming: an order outlives one countdown.
    await waitFor(
      async () => open('okx').map((o) => Date.now() - o.createdAt),
      (ages) => ages.some((age) => age > (COUNTDOWN_S + 2) * 1000),
      60_000,
      'an okx order resting longer than one countdown',
    );
    const armedUntil = (await status('okx')).deadMansSwitch?.armedUntil;
    expect(Date.parse(armedUntil!)).toBeGreaterThan(Date.now());

    // Everything dies at once: the worker, and the Temporal server with the session's state.
    worker!.child.kill('SIGKILL');
    await worker!.exited;
    await server.kill();
    const killedAt = Date.now();
    const trigger = h.sim.cancelAfter('okx', ACCOUNT);
    expect(trigger).toBeDefined();
    const okxResting = open('okx');
    const binanceResting = open('binance').map((o) => o.id).sort();
    expect(okxResting.length).toBeGreaterThan(0);
    expect(binanceResting.length).toBeGreaterThan(0);

    // Nobody is left to cancel: the venue does it when the last countdown the session armed runs out.
    await waitFor(async () => open('okx').length, (n) => n === 0, trigger! - killedAt + 5_000, 'okx cancelling the orders itself');
    for (const o of h.sim.orders('okx', ACCOUNT).filter((x) => okxResting.some((r) => r.id === x.id))) {
      expect(o.status).toBe('canceled');
      expect(o.updatedAt).toBeGreaterThanOrEqual(trigger!);
    }
    expect(trigger! - killedAt).toBeLessThanOrEqual(COUNTDOWN_S * 1000);
    // binance spot has no dead man's switch: its orders rest on after the desk died.
    expect(open('binance').map((o) => o.id).sort()).toEqual(binanceResting);
  }, 240_000);
});
