import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
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
import { AlertRouter, LogAlertChannel } from '../../adapters/alerts/router';
import { LocalReportStore } from '../../adapters/audit/report-store';
import type { GatewayProvider } from '../../adapters/exchange/provider';

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundling takes seconds, so each test file bundles each workflows entry once. */
export function workflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
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

/** Real client and real workers against the suite's dev server, on a task queue of this test's own. */
/** Expected activity failures (injected faults) would flood the test output at the SDK's default level. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by this test file (e.g. with metrics enabled): keep that one.
  }
}

export async function temporalHarness(opts: { workflowsPath?: string } = {}): Promise<TemporalHarness> {
  quietRuntime();
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
      const logger = deps.logger ?? createLogger({ level: 'silent' });
      const gateways: GatewayProvider = deps.gateways ?? { gateway: () => Promise.reject(new Error('this test configured no exchange gateway')) };
      const alerts = deps.alerts ?? new AlertRouter({ channels: [new LogAlertChannel(logger)], audit, logger });
      const noSessions = { stop: async () => [], resume: async () => [], status: async () => [] };
      const worker = await createDeskWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        workflowBundle: await workflowBundle(opts.workflowsPath),
        deps: {
          metrics: createMetrics(),
          auditReader: audit instanceof AuditTrail ? audit : { events: () => [] },
          sessionControl: noSessions,
          reports: new LocalReportStore(mkdtempSync(join(tmpdir(), 'warden-reports-'))),
          accounts: [],
          ...deps,
          escalation: deps.escalation ?? [],
          logger,
          audit,
          secrets,
          gateways,
          alerts,
        },
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
