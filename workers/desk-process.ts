import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { LoadedConfig } from '../config/load';
import { createLogger, type Logger } from '../adapters/logger';
import { startMetricsServer, type MetricsServer } from '../adapters/metrics';
import { deskWorkflowId } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import { assertPreflight, preflightDepsFrom } from './preflight';
import { installRuntime } from './runtime';
import { composeDesk } from './composition';

export interface RunningDesk {
  worker: Worker;
  running: Promise<void>;
  client: Client;
  metrics: MetricsServer;
  logger: Logger;
  close(): Promise<void>;
}

/** A worker with its metrics endpoint, connected to the configured Temporal. */
export async function startDeskWorker(loaded: LoadedConfig, logger = createLogger()): Promise<RunningDesk> {
  const { config } = loaded;
  const { temporalMetricsUrl } = await installRuntime(logger);
  const parts = composeDesk(loaded, 'worker', { logger });
  const worker = await parts.worker();
  const [metrics, secrets, gateways, aws, client, audit, control] = await Promise.all([
    parts.metrics(),
    parts.secrets(),
    parts.gateways(),
    parts.aws(),
    parts.client(),
    parts.trail(),
    parts.desk(),
  ]);
  const metricsServer = await startMetricsServer(metrics, { ...config.metrics, temporalMetricsUrl });
  const webhookConfig = config.alerts.pagerduty?.webhook;
  const webhook = webhookConfig
    ? await (await import('../adapters/alerts/pagerduty-webhook')).startPagerDutyWebhook({
        ...webhookConfig,
        secret: () => secrets.getPagerDutyWebhookSecret(),
        acknowledge: async (id, by) => void (await control.incident.acknowledge(id, { id: by, channel: 'pagerduty' })),
        audit,
        logger,
      })
    : undefined;
  // Production trades only once every automated checklist item holds (seed: Security Checklist for Production).
  await assertPreflight(loaded, preflightDepsFrom({ secrets, gateways, s3: aws.s3, client }));
  const running = worker.run();
  return {
    worker,
    running,
    client,
    metrics: metricsServer,
    logger,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch((err) => logger.error({ err }, 'worker stopped with an error'));
      await metricsServer.close();
      await webhook?.close();
      await audit.shipNow().catch((err) => logger.warn({ err }, 'audit events stay spooled until the next start'));
      // The trail, the Temporal client and the worker's connection.
      await parts.close();
    },
  };
}

/** The desk's supervisor workflow is a singleton: starting it again attaches to the running one. */
export async function ensureDeskWorkflow(client: Client, loaded: LoadedConfig): Promise<string> {
  const { config } = loaded;
  const workflowId = deskWorkflowId(config.desk.name);
  await client.workflow.start(deskWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [{ desk: config.desk.name, profile: config.profile }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Warden desk "${config.desk.name}" (${config.profile})`,
  });
  return workflowId;
}
