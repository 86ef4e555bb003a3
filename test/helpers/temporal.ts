import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { createLogger } from '../../adapters/logger';
import { createMetrics } from '../../adapters/metrics';
import { createDeskWorker, WORKFLOWS_PATH } from '../../workers/worker';
import type { ActivityDeps } from '../../activities';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../adapters/audit/trail';
import { CachedSecretsStore } from '../../adapters/secrets/store';
import { LocalFileSecretSource } from '../../adapters/secrets/sources';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds, so each test file bundles the workflows once. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (msg: string, meta?: Record<string, unknown>) => console.error(msg, meta),
};

export interface TemporalHarness {
  client: Client;
  nativeConnection: NativeConnection;
  taskQueue: string;
  startWorker(deps?: Partial<ActivityDeps>): Promise<{ worker: Worker; running: Promise<void> }>;
  close(): Promise<void>;
}

/** Real client and real workers against the suite's dev server, on a task queue of this test's own. */
export async function temporalHarness(): Promise<TemporalHarness> {
  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  return {
    client,
    nativeConnection,
    taskQueue,
    async startWorker(deps = {}) {
      const audit = deps.audit ?? (await AuditTrail.open({ dir: mkdtempSync(join(tmpdir(), 'warden-audit-')) }));
      const secrets =
        deps.secrets ??
        new CachedSecretsStore({
          source: new LocalFileSecretSource(join(tmpdir(), 'warden-no-secrets.json'), 'paper'),
          prefix: 'warden',
          ttlSeconds: 60,
          audit,
          accessedBy: 'test',
        });
      const worker = await createDeskWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        deps: { logger: createLogger({ level: 'silent' }), metrics: createMetrics(), ...deps, audit, secrets },
      });
      const running = worker.run();
      const handle = { worker, running };
      workers.push(handle);
      return handle;
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
      }
      await nativeConnection.close();
      await connection.close();
    },
  };
}
