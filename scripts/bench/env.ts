import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { AuditTrail } from '../../adapters/audit/trail';
import { CcxtGatewayProvider } from '../../adapters/exchange/provider';
import { findTemporalCli, startDevServer, type DevServer } from '../../adapters/temporal-dev-server';
import { WardenConfig } from '../../config/schema';
import { TemporalDeskControl } from '../../workers/temporal-desk-control';
import { createDeskWorker } from '../../workers/worker';
import { ExchangeHarness } from '../../test/helpers/exchange';
import { workerDeps } from '../../test/helpers/worker-deps';

/**
 * What every timing benchmark runs on: its own headless Temporal dev server,
 * the exchange simulator, and an in-process worker wired like production
 * (real gateway, real audit spool), on loopback.
 */
export interface BenchEnv {
  temporal: DevServer;
  client: Client;
  connection: NativeConnection;
  harness: ExchangeHarness;
  desk: TemporalDeskControl;
  taskQueue: string;
  startWorker(accounts: string[], opts?: { workflowsPath?: string }): Promise<{ worker: Worker; running: Promise<void> }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function benchEnv(name: string): Promise<BenchEnv> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const binary = findTemporalCli();
  if (!binary) throw new Error('bench needs the temporal CLI: bash scripts/install-temporal.sh');
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const temporal = await startDevServer({ binary, dbFile: join(dir, 'temporal.db') });
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const connection = await NativeConnection.connect({ address: temporal.address });
  const harness = await ExchangeHarness.start(17);
  const taskQueue = `bench-${name}`;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  const configFor = (accounts: string[]) =>
    WardenConfig.parse({
      profile: 'paper',
      temporal: { address: temporal.address, taskQueue },
      exchanges: accounts.flatMap((a) => harness.accounts(a)),
    });
  const desk = new TemporalDeskControl(client, configFor([]));
  return {
    temporal,
    client,
    connection,
    harness,
    desk,
    taskQueue,
    async startWorker(accounts, opts = {}) {
      const audit = await AuditTrail.open({ dir: mkdtempSync(join(dir, 'audit-')) });
      const secrets = harness.secrets();
      const config = configFor(accounts);
      const worker = await createDeskWorker({
        connection,
        namespace: 'default',
        taskQueue,
        ...(opts.workflowsPath ? { workflowBundle: await (await import('@temporalio/worker')).bundleWorkflowCode({ workflowsPath: opts.workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } }) } : {}),
        deps: await workerDeps({
          audit,
          secrets,
          gateways: new CcxtGatewayProvider({ secrets, accounts: config.exchanges, enableRateLimit: false, timeoutMs: 5000 }),
          sessionControl: desk,
          accounts: config.exchanges.map((x) => ({ exchange: x.exchange, account: x.account })),
        }),
      });
      const handle = { worker, running: worker.run() };
      workers.push(handle);
      return handle;
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
      }
      await connection.close();
      await client.connection.close();
      await harness.close();
      await temporal.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function stats(samplesMs: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { p50: at(50), p99: at(99), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
