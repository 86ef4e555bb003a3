import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { createDeskWorker } from '../../workers/worker';
import { quietRuntime, workflowBundle } from './temporal';
import { workerDeps } from './worker-deps';

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  /** Awaiting a workflow's result through it lets the server skip to the next timer. */
  client: Client;
  taskQueue: string;
  /** A desk worker (the real activities over `deps` and test adapters) on this harness's queue. */
  startWorker(deps?: Partial<ActivityDeps>): Promise<Worker>;
  close(): Promise<void>;
}

/**
 * Temporal's time-skipping test server, one per call (time skipping is global to a server, so
 * tests that share one run one after another), with the desk's real workers on it. Time moves
 * only while a test awaits a result or env.sleep(): a day of half-hourly reminders takes
 * a second or two of wall-clock time.
 */
export async function timeSkippingHarness(): Promise<TimeSkippingHarness> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } } });
  const namespace = env.namespace ?? 'default';
  // The desk's workflows upsert these (the dev server registers them at start); every one is a Keyword.
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, keyword])),
  });
  const taskQueue = `ts-${randomUUID()}`;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  return {
    env,
    client: env.client,
    taskQueue,
    async startWorker(deps = {}) {
      const worker = await createDeskWorker({
        connection: env.nativeConnection,
        namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        deps: await workerDeps(deps),
      });
      workers.push({ worker, running: worker.run() });
      return worker;
    },
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running.catch(() => undefined);
      }
      await env.teardown();
    },
  };
}
