import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { venueAccounts } from '../config/policy';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { LoadedConfig } from '../config/load';
import { createLogger, type Logger } from '../adapters/logger';
import { createMetrics, startMetricsServer, type MetricsServer } from '../adapters/metrics';
import { createAwsClients } from '../adapters/aws';
import { openAuditTrail } from '../adapters/audit';
import { shippingAlert } from './audit-alerts';
import { createSecretsStore } from '../adapters/secrets';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { deskWorkflowId } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import { join } from 'node:path';
import { LocalReportStore, S3ReportStore } from '../adapters/audit/report-store';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import { createAlertRouter } from './alert-channels';
import type { AlertRouter } from '../adapters/alerts/router';
import { createSecretRotator } from '../adapters/secrets/rotation';
import { assertPreflight, preflightDepsFrom } from './preflight';
import { installRuntime } from './runtime';
import { connectClient } from '../clients/connect';
import { connectWorker } from './temporal-connection';
import { createDeskWorker, defaultWorkerIdentity } from './worker';

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
  const metrics = createMetrics();
  const workerIdentity = defaultWorkerIdentity();
  const aws = createAwsClients(config.aws);
  // Shipping trouble is alerted through the router, built below with this trail as its audit.
  let alertRouter: AlertRouter | undefined;
  const audit = await openAuditTrail(config, {
    stateDir: loaded.stateDir,
    s3: aws.s3,
    kms: aws.kms,
    logger,
    writer: 'worker',
    onShippingTrouble: (t) => {
      const alert = shippingAlert(t);
      logger.warn({ trouble: t }, alert?.message ?? 'audit shipping recovered');
      if (alert && alertRouter) void alertRouter.route(alert, workerIdentity).catch((err: unknown) => logger.error({ err }, 'audit shipping alert not delivered'));
    },
  });
  metrics.watchAudit(() => audit.shippingStatus());
  const secrets = createSecretsStore(config, { stateDir: loaded.stateDir, secretsClient: aws.secrets, audit, accessedBy: workerIdentity });
  const gateways = new CcxtGatewayProvider({ secrets, accounts: venueAccounts(config), enableRateLimit: config.profile === 'production' });
  const client = await connectClient(config.temporal);
  const desk = new TemporalDeskControl(client, config);
  const alerts = await createAlertRouter(config, { secrets, logger, audit, metrics, onIncident: (alert) => desk.incident.openFromAlert(alert) });
  alertRouter = alerts;
  const reports = config.audit.shipToS3
    ? new S3ReportStore({ s3: aws.s3, bucket: config.aws.auditBucket, retentionDays: config.audit.retentionDays.audit })
    : new LocalReportStore(join(loaded.stateDir, 'reports'));
  const connection: NativeConnection = await connectWorker(config.temporal);
  const worker = await createDeskWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      logger,
      metrics,
      audit,
      auditReader: audit,
      secrets,
      gateways,
      alerts,
      workerIdentity,
      sessionControl: desk,
      reports,
      accounts: config.exchanges.map((x) => ({ exchange: x.exchange, account: x.account })),
      escalation: config.alerts.escalation,
      rotator: createSecretRotator(config, { stateDir: loaded.stateDir, secretsClient: aws.secrets }),
    },
  });
  const metricsServer = await startMetricsServer(metrics, { ...config.metrics, temporalMetricsUrl });
  const webhookConfig = config.alerts.pagerduty?.webhook;
  const webhook = webhookConfig
    ? await (await import('../adapters/alerts/pagerduty-webhook')).startPagerDutyWebhook({
        ...webhookConfig,
        secret: () => secrets.getPagerDutyWebhookSecret(),
        acknowledge: async (id, by) => void (await desk.incident.acknowledge(id, { id: by, channel: 'pagerduty' })),
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
      await audit.close();
      await client.connection.close();
      await connection.close();
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
