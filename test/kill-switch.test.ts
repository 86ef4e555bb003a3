import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditTrail } from '../adapters/audit/trail';
import { startDevServer, type DevServer } from '../adapters/temporal-dev-server';
import { provisionTemporalCli } from '../adapters/temporal-cli';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import { WardenConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import { createDirectCanceller } from '../operator/direct-cancel';
import { killSwitch } from '../operator/kill-switch';
import { formatKillSwitch } from '../operator/core/format';
import { startSession } from '../workers/sessions';
import { createDeskWorker } from '../workers/worker';
import { statusQuery, type SessionInput } from '../contracts/session';
import { tempDir } from './helpers/audit';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, workflowBundle, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { workerDeps } from './helpers/worker-deps';

let h: ExchangeHarness;
let accountSeq = 0;

beforeAll(async () => {
  h = await ExchangeHarness.start(11);
});
afterAll(async () => h?.close());

/** Five levels around the price: two buys below, two sells above, none at the price itself. */
const GRID_ORDERS = 4;

/** A funded account with a resting grid: every order it places stays open until cancelled. */
function gridSession(exchange: ExchangeId): SessionInput {
  const account = `ks${++accountSeq}`;
  h.addKey(exchange, account);
  h.sim.setBalance(exchange, account, 'USDT', 20_000);
  h.sim.setBalance(exchange, account, 'BTC', 0.01);
  return h.gridSession(exchange, account);
}

/** Every account's gateway, as a worker's provider over the desk's whole config would give. */
const gateways = {
  gateway: (exchange: ExchangeId, account: string, purpose: 'trading' | 'monitoring') => h.gateways(account).gateway(exchange, account, purpose),
};

const openAt = (s: SessionInput) => h.sim.orders(s.exchange, s.account).filter((o) => o.status === 'open');
const allAt = (s: SessionInput) => h.sim.orders(s.exchange, s.account);

/** A desk config naming these sessions' accounts, as an operator's `warden.yaml` would. */
function deskConfig(sessions: SessionInput[], temporal: { address: string; taskQueue: string }, stateDir: string) {
  return WardenConfig.parse({
    profile: 'paper',
    desk: { name: 'ks', stateDir },
    temporal,
    secrets: { provider: 'local-file' },
    exchanges: sessions.map((s) => ({ exchange: s.exchange, account: s.account, baseUrl: h.sim.url, symbols: s.symbols, strategy: s.strategy })),
  });
}

async function runCli(configPath: string, args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn('node', ['bin/warden.js', '--config', configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out, ms: Date.now() - t0 };
}

describe('kill switch with no worker running, and across a Temporal server restart', () => {
  let server: DevServer;
  let binary: string;
  const dbFile = join(tempDir('warden-ks-temporal-'), 'temporal.db');

  beforeAll(async () => {
    const cli = await provisionTemporalCli({ allowGoInstall: false });
    if (!cli) throw new Error('no temporal CLI: the suite provisions one in its global setup');
    binary = cli.path;
    server = await startDevServer({ binary, dbFile });
  }, 120_000);
  afterAll(async () => server?.stop());

  async function worker(address: string, taskQueue: string) {
    const connection = await NativeConnection.connect({ address });
    const w = await createDeskWorker({
      connection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      deps: await workerDeps({ gateways, audit: h.audit, secrets: h.secrets() }),
    });
    const running = w.run();
    return {
      async stop() {
        w.shutdown();
        await running;
        await connection.close();
      },
    };
  }

  it('`warden stop` records the stop, says plainly no worker answered, cancels at the venue itself; the stop survives a restart', async () => {
    const taskQueue = `ks-${Date.now()}`;
    const session = gridSession('binance');
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const first = await worker(server.address, taskQueue);
    try {
      const handle = await startSession(client, taskQueue, session);
      try {
        await waitFor(async () => openAt(session).length, (n) => n === GRID_ORDERS, 30_000, 'the grid resting at the venue');
      } finally {
        await first.stop();
      }

      const stateDir = h.stateDir;
      const configPath = join(tempDir('warden-ks-cfg-'), 'warden.json');
      writeFileSync(configPath, JSON.stringify(deskConfig([session], { address: server.address, taskQueue }, stateDir)));
      const stop = await runCli(configPath, ['stop', '--reason', 'no worker drill']);
      console.log(`kill switch, no worker: warden stop returned in ${stop.ms} ms (exit ${stop.code})`);
      expect(stop.out).toContain(`${session.exchange}/${session.account}: stop recorded; no worker answered; orders NOT yet cancelled`);
      expect(stop.out).toContain(`cancelled directly at the venue: ${GRID_ORDERS} orders (audited)`);
      expect(stop.code).toBe(0);
      expect(openAt(session)).toEqual([]);

      // The CLI's own trail holds each direct cancel, by the operator who ran it.
      const trail = await AuditTrail.open({ dir: join(stateDir, 'cli', 'audit') });
      const cancels = trail.events().filter((e) => e.type === 'order_cancelled');
      await trail.close();
      expect(cancels).toHaveLength(GRID_ORDERS);
      expect(new Set(cancels.map((e) => e.actor))).toEqual(new Set([`cli:${userInfo().username}`]));

      // Recorded in history with no worker running: a Signal the server wrote.
      const signalled = async () => {
        const names: string[] = [];
        for (const e of (await handle.fetchHistory()).events ?? []) {
          if (e.workflowExecutionSignaledEventAttributes?.signalName) names.push(e.workflowExecutionSignaledEventAttributes.signalName);
        }
        return names;
      };
      // A workflow task the stopped worker left started holds new events back until it times out
      // (the server keeps the signal buffered, durably, meanwhile): wait for it to show.
      await waitFor(signalled, (names) => names.includes('stopRequested'), 30_000, 'the stop signal in history');

      // Temporal restarts; the stop is still there, and the session acts on it when a worker comes back.
      await server.stop();
      server = await startDevServer({ binary, dbFile, port: Number(server.address.split(':')[1]) });
      expect(await signalled()).toContain('stopRequested');
      const placedBefore = allAt(session).length;
      const second = await worker(server.address, taskQueue);
      try {
        const stopped = await waitFor(() => handle.query(statusQuery), (s) => s.mode === 'stopped' && !!s.lastStop, 30_000, 'the recorded stop taking effect');
        expect(stopped.lastStop?.stopId).toMatch(/^stop\/cli:/);
        const ticks = stopped.ticks;
        await waitFor(() => handle.query(statusQuery), (s) => s.ticks >= ticks + 3, 30_000, 'three more ticks');
        expect(allAt(session).length).toBe(placedBefore);
        expect(openAt(session)).toEqual([]);
      } finally {
        await second.stop();
        await handle.terminate('test over').catch(() => undefined);
      }
    } finally {
      await connection.close();
    }
  }, 240_000);

  it('with Temporal down, `warden stop` says the stop is NOT recorded, still cancels at the venue, and exits 1', async () => {
    const session = gridSession('okx');
    const gw = await h.gateways(session.account).gateway('okx', session.account, 'trading');
    const price = h.sim.price('BTC/USDT');
    await gw.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.002, price: Math.round(price * 0.8), reason: 'left by a desk that died' }, 'wdnmanual1', { lookupFirst: false });
    expect(openAt(session)).toHaveLength(1);
    const configPath = join(tempDir('warden-ks-cfg-'), 'warden.json');
    // A port nothing listens on.
    writeFileSync(configPath, JSON.stringify(deskConfig([session], { address: '127.0.0.1:1', taskQueue: 'nowhere' }, h.stateDir)));
    const stop = await runCli(configPath, ['stop']);
    console.log(`kill switch, Temporal down: warden stop returned in ${stop.ms} ms (exit ${stop.code})`);
    expect(stop.out).toContain(`okx/${session.account}: stop NOT recorded: Temporal unreachable`);
    expect(stop.out).toContain('cancelled directly at the venue: 1 order (audited)');
    expect(stop.out).toContain('Run `warden stop` again once Temporal answers');
    expect(stop.code).toBe(1);
    expect(openAt(session)).toEqual([]);
  }, 120_000);
});

describe('kill switch with one venue down', () => {
  let t: TemporalHarness;
  beforeAll(async () => {
    t = await temporalHarness();
    // One worker for the file's task queue: a second one in the same process is refused on it.
    await t.startWorker({ gateways, audit: h.audit, secrets: h.secrets() });
  });
  afterAll(async () => t?.close());

  it('`warden session stop` takes the same kill switch for one account: that session stops, the other trades on, the stop is audited', async () => {
    const target = gridSession('bybit');
    const other = gridSession('binance');
    const handles = await Promise.all([target, other].map((s) => startSession(t.client, t.taskQueue, s)));
    await waitFor(async () => [openAt(target).length, openAt(other).length], ([a, b]) => a === GRID_ORDERS && b === GRID_ORDERS, 30_000, 'both grids resting');
    const stateDir = tempDir('warden-ks-session-stop-');
    const configPath = join(stateDir, 'warden.json');
    writeFileSync(configPath, JSON.stringify(deskConfig([target, other], { address: inject('temporalAddress'), taskQueue: t.taskQueue }, stateDir)));

    // A reason with a control character is cleaned, never refused: the kill switch must not fail on its reason.
    const r = await runCli(configPath, ['session', 'stop', '--exchange', target.exchange, '--account', target.account, '--reason', 'bad\u0007fill']);
    expect(r.code, r.out).toBe(0);
    // The same report as `warden stop` and Telegram's /stop, for the one session, with the reason cleaned.
    expect(r.out).toContain(`STOPPED 1 session, ${GRID_ORDERS} orders cancelled.\nReason: bad fill\n${target.exchange}/${target.account}: ${GRID_ORDERS} orders cancelled (BTC/USDT)`);
    expect(r.out).not.toContain(`${other.exchange}/${other.account}`);
    expect(openAt(target)).toEqual([]);
    const [stopped, trading] = await Promise.all(handles.map((hd) => hd.query(statusQuery)));
    expect(stopped!.mode).toBe('stopped');
    expect(stopped!.lastStop?.stopId).toMatch(new RegExp(`^stop/cli:${userInfo().username}/`));
    expect(trading!.mode).toBe('trading');
    expect(openAt(other)).toHaveLength(GRID_ORDERS);
    // On the CLI's own trail, as every operator action.
    const trail = await AuditTrail.open({ dir: join(stateDir, 'cli', 'audit') });
    const cmd = trail.events().filter((e) => e.type === 'operator_command').map((e) => e.data);
    await trail.close();
    expect(cmd).toEqual([expect.objectContaining({ operator: `cli:${userInfo().username}`, channel: 'cli', command: expect.stringMatching(/^session stop/), outcome: 'accepted' })]);
    // A typo in the account is refused naming the flags, and stops nothing.
    const typo = await runCli(configPath, ['session', 'stop', '--exchange', other.exchange, '--account', 'nosuch']);
    expect(typo.code).not.toBe(0);
    expect(typo.out).toContain(`--exchange/--account: ${other.exchange}/nosuch is not a configured account`);
    expect((await handles[1]!.query(statusQuery)).mode).toBe('trading');
    // The next test's kill switch stops every running session in the namespace: leave none behind.
    for (const hd of handles) await hd.terminate('test cleanup');
  }, 120_000);

  it('the live venue is cancelled at once; the dead one is named, retried by the session and cancelled once it answers', async () => {
    const live = gridSession('binance');
    const dead = gridSession('okx');
    const audit = h.audit;
    const handles = await Promise.all([live, dead].map((s) => startSession(t.client, t.taskQueue, s)));
    await waitFor(async () => [openAt(live).length, openAt(dead).length], ([a, b]) => a === GRID_ORDERS && b === GRID_ORDERS, 30_000, 'both grids resting');

    h.sim.setFaults('okx', { maintenance: true });
    const config = deskConfig([live, dead], { address: inject('temporalAddress'), taskQueue: t.taskQueue }, h.stateDir);
    const desk = new TemporalDeskControl(t.client, config);
    const direct = createDirectCanceller({ config, gateways, audit });
    const t0 = Date.now();
    const result = await killSwitch(
      { desk: () => Promise.resolve(desk), configuredSessions: [live, dead].map((s) => `${s.exchange}/${s.account}`), direct: () => Promise.resolve(direct) },
      { id: 'cli:test', channel: 'cli' },
      'one venue down',
    );
    const answeredMs = Date.now() - t0;
    expect(result.outcome.reports.map((r) => [r.session, r.cancelled.length])).toEqual([[`binance/${live.account}`, GRID_ORDERS]]);
    expect(openAt(live)).toEqual([]);
    expect(result.outcome.unconfirmed).toEqual([expect.objectContaining({ session: `okx/${dead.account}`, recorded: true })]);
    expect(result.direct).toEqual([expect.objectContaining({ session: `okx/${dead.account}`, ok: false })]);
    expect(result.complete).toBe(false);
    const text = formatKillSwitch(result, 'one venue down');
    expect(text).toMatch(/^STOP NOT CONFIRMED/);
    expect(text).toContain('direct cancel at the venue FAILED');
    expect(text).toContain('Revoke the exchange API keys at the exchange now.');
    expect(openAt(dead)).toHaveLength(GRID_ORDERS);

    // The venue answers again: the session's recorded stop cancels there without anyone asking twice.
    h.sim.clearFaults('okx');
    const back = Date.now();
    await waitFor(async () => openAt(dead).length, (n) => n === 0, 30_000, 'the dead venue cancelled once it answers');
    const lastCancelMs = Date.now() - back;
    console.log(`kill switch, one venue down: answered in ${answeredMs} ms; dead venue cancelled ${lastCancelMs} ms after it came back`);
    // Confirmed either by the session's retry of a pending stop (cancelPending false) or, when the venue came back
    // while the stop's own cancel was still retrying, by that cancel (no pending flag ever set).
    const s = await waitFor(() => handles[1]!.query(statusQuery), (x) => !!x.lastStop && !x.lastStop.cancelPending && x.lastStop.cancelled.length === GRID_ORDERS, 20_000, 'the stop confirmed');
    expect(s.mode).toBe('stopped');
    expect(s.lastStop?.cancelled).toHaveLength(GRID_ORDERS);
    // Nothing was placed after the stop on either venue.
    const placed = [allAt(live).length, allAt(dead).length];
    const ticks = s.ticks;
    await waitFor(() => handles[1]!.query(statusQuery), (x) => x.ticks >= ticks + 2, 20_000, 'two more ticks');
    expect([allAt(live).length, allAt(dead).length]).toEqual(placed);
  }, 120_000);
});
