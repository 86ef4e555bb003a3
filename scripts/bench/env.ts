import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { startProvisionedDevServer, type DevServer } from '../../adapters/temporal-dev-server';
import { loadedConfig, type LoadedConfig } from '../../config/load';
import { WardenConfig } from '../../config/schema';
import type { TemporalDeskControl } from '../../clients/temporal-desk-control';
import { composeDesk, type ComposedDesk } from '../../workers/composition';
import { ExchangeHarness } from '../../test/helpers/exchange';

/**
 * What every timing benchmark runs on: its own headless Temporal dev server,
 * the exchange simulator, and in-process workers wired as production wires
 * them (workers/composition.ts: real gateway, real audit spool, the config's
 * alert routes), on loopback. Only the venue keys are the simulator's.
 */
export interface BenchEnv {
  temporal: DevServer;
  client: Client;
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
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const temporal = await startProvisionedDevServer({ dbFile: join(dir, 'temporal.db'), progress: (l) => console.error(l) });
  const harness = await ExchangeHarness.start(17);
  const taskQueue = `bench-${name}`;
  // A state directory per worker, as each worker host has its own (its audit spool is its own chain).
  const loadedFor = (accounts: string[]): LoadedConfig => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const config = WardenConfig.parse({
      profile: 'paper',
      desk: { name: `bench-${name}`, stateDir },
      temporal: { address: temporal.address, taskQueue },
      exchanges: accounts.flatMap((a) => harness.accounts(a)),
    });
    return loadedConfig(config, join(stateDir, 'warden.yaml'));
  };
  // The benchmark's own client side (what the CLI or the bot holds): a Temporal client and the desk control.
  const own = composeDesk(loadedFor([]), 'bench');
  const [client, desk] = await Promise.all([own.client(), own.desk()]);
  // Workers share one native connection, so starting many stays cheap.
  const connection = await NativeConnection.connect({ address: temporal.address });
  const workers: Array<{ parts: ComposedDesk<'bench'>; worker: Worker; running: Promise<void> }> = [];
  return {
    temporal,
    client,
    harness,
    desk,
    taskQueue,
    async startWorker(accounts, opts = {}) {
      const parts = composeDesk(loadedFor(accounts), 'bench', { secrets: harness.secrets(), venueTimeoutMs: 5000 });
      const workflowBundle = opts.workflowsPath
        ? await (await import('@temporalio/worker')).bundleWorkflowCode({ workflowsPath: opts.workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } })
        : undefined;
      const worker = await parts.worker({ connection, ...(workflowBundle ? { workflowBundle } : {}) });
      const handle = { worker, running: worker.run() };
      workers.push({ parts, ...handle });
      return handle;
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
        await w.parts.close();
      }
      await connection.close();
      await own.close();
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
