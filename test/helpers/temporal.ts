import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { WORKFLOWS_PATH } from '../../config/paths';
import { createDeskWorker } from '../../workers/worker';
import type { ActivityDeps } from '../../activities';
import { workerDeps } from './worker-deps';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * The desk's workflows come bundled once per run (test/setup/workflow-bundle.ts); another
 * workflows entry (a replay test's changed copy) is bundled once per test file.
 */
export function workflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b =
      workflowsPath === WORKFLOWS_PATH
        ? readFile(inject('workflowBundleFile'), 'utf8').then((text) => JSON.parse(text) as WorkflowBundleWithSourceMap)
        : bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    bundles.set(workflowsPath, b);
  }
  return b;
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

/** Expected activity failures (injected faults) would flood the test output at the SDK's default level. */
export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by this test file (e.g. with metrics enabled): keep that one.
  }
}

/**
 * Real client and real workers on a task queue of this test's own, against the
 * suite's dev server unless another server is named (the browser test runs one with the Web UI).
 */
export async function temporalHarness(opts: { workflowsPath?: string; address?: string; namespace?: string } = {}): Promise<TemporalHarness> {
  quietRuntime();
  const address = opts.address ?? inject('temporalAddress');
  const namespace = opts.namespace ?? inject('temporalNamespace');
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
      const worker = await createDeskWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        workflowBundle: await workflowBundle(opts.workflowsPath),
        deps: await workerDeps(deps),
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
