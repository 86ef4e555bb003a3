/**
 * The one place a Warden process is wired, whichever process it is (worker, bot, CLI, bench):
 * config -> AWS clients -> audit trail (its shipping trouble alerted through the router) ->
 * secrets store -> exchange gateways -> alert router -> Temporal client and desk control.
 *
 * Every part is built on first use and shared after, so a role builds only what it asks for
 * (a CLI command that only queries Temporal opens no trail and reads no secret). Every value
 * import below is dynamic, so importing this file costs a CLI command nothing, and the worker's
 * parts (the native connection, the Worker and its workflow bundle) load only when a 'worker'
 * or 'bench' composition asks for them: client roles never load `@temporalio/worker`.
 */
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps';
import type { AlertRouter } from '../adapters/alerts/router';
import type { AuditRecorder, AuditTrail, WriterRole } from '../adapters/audit';
import type { AwsClients } from '../adapters/aws';
import type { GatewayProvider } from '../adapters/exchange/provider';
import type { Logger } from '../adapters/logger';
import type { DeskMetrics } from '../adapters/metrics';
import type { SecretsStore } from '../adapters/secrets/types';
import type { SecretRotator } from '../adapters/secrets/rotation';
import type { TemporalDeskControl } from '../clients/temporal-desk-control';
import type { LoadedConfig } from '../config/load';
import { defaultWorkerIdentity } from './identity';

export type DeskRole = 'worker' | 'bot' | 'cli' | 'bench';

interface RoleSpec {
  /** The kind of writer its audit chain names (each process keeps its own chain: two writers never share one). */
  writer: WriterRole;
  /** Its spool's folder under the state directory ('' : the state directory itself). */
  spool: string;
  /** Shipping trouble on its trail is alerted through its router; a CLI command is too short-lived to page for it. */
  shippingAlerts: boolean;
  /** Alert deliveries and audit shipping are counted on its metrics (what a worker serves on /metrics). */
  metered: boolean;
  /** Who it reads secrets and sends alerts as, unless the caller names someone. */
  identity(): string;
  logger(create: typeof import('../adapters/logger').createLogger): Logger;
}

export const ROLES: Record<DeskRole, RoleSpec> = {
  worker: { writer: 'worker', spool: '', shippingAlerts: true, metered: true, identity: defaultWorkerIdentity, logger: (create) => create() },
  // The bot keeps its own spool beside the worker's; its chain is alerted like a worker's.
  bot: { writer: 'bot', spool: 'bot', shippingAlerts: true, metered: false, identity: () => 'operator-bot', logger: (create) => create({ name: 'warden-bot' }) },
  // stderr: a command's stdout is its report.
  cli: { writer: 'cli', spool: 'cli', shippingAlerts: false, metered: false, identity: () => 'operator-cli', logger: (create) => create({ name: 'warden-cli', destination: process.stderr }) },
  // A worker, in the benchmark's process: its output is the results table, so it logs nothing.
  bench: { writer: 'worker', spool: '', shippingAlerts: true, metered: true, identity: defaultWorkerIdentity, logger: (create) => create({ level: 'silent' }) },
};

/** Where a role's audit spool lives under the state directory (`warden audit verify` reads them all). */
export function auditSpoolDir(stateDir: string, role: DeskRole): string {
  return join(stateDir, ROLES[role].spool, 'audit');
}

export interface ComposeOptions {
  logger?: Logger;
  /** Who reads secrets and sends alerts (default: the role's, see ROLES). */
  identity?: string;
  /** A recorder the caller already holds (the CLI's one trail per command): none is opened, and close() leaves it. */
  audit?: AuditRecorder;
  /** A store the caller already holds (the bench's simulator keys). */
  secrets?: SecretsStore;
  /** ccxt's per-request timeout (default: the adapter's). */
  venueTimeoutMs?: number;
}

/** What every role can ask for. */
export interface DeskParts {
  readonly role: DeskRole;
  readonly loaded: LoadedConfig;
  readonly identity: string;
  logger(): Promise<Logger>;
  aws(): Promise<AwsClients>;
  /** The role's own hash-chained trail, in its own spool. */
  trail(): Promise<AuditTrail>;
  /** Where secret reads and alerts are audited: the caller's recorder if given, else the role's trail. */
  audit(): Promise<AuditRecorder>;
  secrets(): Promise<SecretsStore>;
  gateways(): Promise<GatewayProvider>;
  rotator(): Promise<SecretRotator>;
  metrics(): Promise<DeskMetrics>;
  /** The configured channels behind the routes; alerts tied to an incident open one through the desk. */
  alerts(): Promise<AlertRouter>;
  client(): Promise<Client>;
  desk(): Promise<TemporalDeskControl>;
  /** Closes what this composition opened (the trail, connections), never what the caller passed in. */
  close(): Promise<void>;
}

/** What only a worker (in its own process or a benchmark's) asks for. */
export interface WorkerParts {
  activityDeps(): Promise<ActivityDeps>;
  /** The desk worker on the configured task queue; `connection` shares one the caller holds (and closes). */
  worker(opts?: { connection?: NativeConnection; workflowBundle?: WorkerOptions['workflowBundle'] }): Promise<Worker>;
}

export type ComposedDesk<R extends DeskRole> = DeskParts & (R extends 'worker' | 'bench' ? WorkerParts : unknown);

/** Memoizes an async builder: a part is built once, on first use. */
function once<T>(build: () => Promise<T>): { get(): Promise<T>; built(): boolean } {
  let p: Promise<T> | undefined;
  return { get: () => (p ??= build()), built: () => p !== undefined };
}

export function composeDesk<R extends DeskRole>(loaded: LoadedConfig, role: R, opts: ComposeOptions = {}): ComposedDesk<R> {
  const { config, stateDir } = loaded;
  const spec = ROLES[role];
  const identity = opts.identity ?? spec.identity();
  // Set once the router exists: shipping trouble before then is only logged.
  let router: AlertRouter | undefined;

  const logger = once(async () => opts.logger ?? spec.logger((await import('../adapters/logger')).createLogger));
  const aws = once(async () => (await import('../adapters/aws')).createAwsClients(config.aws));
  const trail = once(async () => {
    const [{ openAuditTrail }, { shippingAlert }, log, clients] = await Promise.all([import('../adapters/audit'), import('./audit-alerts'), logger.get(), aws.get()]);
    return openAuditTrail(config, {
      stateDir: join(stateDir, spec.spool),
      s3: clients.s3,
      kms: clients.kms,
      logger: log,
      writer: spec.writer,
      ...(spec.shippingAlerts
        ? {
            // An outage or a conflicting key is never only a log line.
            onShippingTrouble: (t) => {
              const alert = shippingAlert(t);
              log.warn({ trouble: t }, alert?.message ?? 'audit shipping recovered');
              if (alert && router) void router.route(alert, identity).catch((err: unknown) => log.error({ err }, 'audit shipping alert not delivered'));
            },
          }
        : {}),
    });
  });
  const audit = once(async () => opts.audit ?? trail.get());
  // One store per process: its cache is what every reader (gateways, alert channels, the bot's token) shares.
  const secrets = once(async () => {
    if (opts.secrets) return opts.secrets;
    const [{ createSecretsStore }, clients, recorder] = await Promise.all([import('../adapters/secrets'), aws.get(), audit.get()]);
    return createSecretsStore(config, { stateDir, secretsClient: clients.secrets, audit: recorder, accessedBy: identity });
  });
  const gateways = once(async () => {
    const [{ CcxtGatewayProvider }, { venueAccounts }, store] = await Promise.all([import('../adapters/exchange/provider'), import('../config/policy'), secrets.get()]);
    return new CcxtGatewayProvider({
      secrets: store,
      accounts: venueAccounts(config),
      enableRateLimit: config.profile === 'production',
      ...(opts.venueTimeoutMs ? { timeoutMs: opts.venueTimeoutMs } : {}),
    });
  });
  const rotator = once(async () => (await import('../adapters/secrets/rotation')).createSecretRotator(config, { stateDir, secretsClient: (await aws.get()).secrets }));
  const metrics = once(async () => {
    const m = (await import('../adapters/metrics')).createMetrics();
    if (spec.metered) {
      const t = await trail.get();
      m.watchAudit(() => t.shippingStatus());
    }
    return m;
  });
  const client = once(async () => (await import('../clients/connect')).connectClient(config.temporal));
  const desk = once(async () => new (await import('../clients/temporal-desk-control')).TemporalDeskControl(await client.get(), config));
  const alerts = once(async () => {
    const [{ createAlertRouter }, store, log, recorder, control] = await Promise.all([import('./alert-channels'), secrets.get(), logger.get(), audit.get(), desk.get()]);
    router = await createAlertRouter(config, {
      secrets: store,
      logger: log,
      audit: recorder,
      ...(spec.metered ? { metrics: await metrics.get() } : {}),
      onIncident: (alert) => control.incident.openFromAlert(alert),
    });
    return router;
  });
  const activityDeps = once(async (): Promise<ActivityDeps> => {
    const [{ LocalReportStore, S3ReportStore }, clients, t] = await Promise.all([import('../adapters/audit/report-store'), aws.get(), trail.get()]);
    return {
      logger: await logger.get(),
      metrics: await metrics.get(),
      audit: t,
      auditReader: t,
      secrets: await secrets.get(),
      gateways: await gateways.get(),
      alerts: await alerts.get(),
      workerIdentity: identity,
      sessionControl: await desk.get(),
      reports: config.audit.shipToS3
        ? new S3ReportStore({ s3: clients.s3, bucket: config.aws.auditBucket, retentionDays: config.audit.retentionDays.audit })
        : new LocalReportStore(join(stateDir, 'reports')),
      accounts: config.exchanges.map((x) => ({ exchange: x.exchange, account: x.account })),
      escalation: config.alerts.escalation,
      rotator: await rotator.get(),
    };
  });
  let ownConnection: NativeConnection | undefined;

  const parts: DeskParts & WorkerParts = {
    role,
    loaded,
    identity,
    logger: logger.get,
    aws: aws.get,
    trail: trail.get,
    audit: audit.get,
    secrets: secrets.get,
    gateways: gateways.get,
    rotator: rotator.get,
    metrics: metrics.get,
    alerts: alerts.get,
    client: client.get,
    desk: desk.get,
    activityDeps: activityDeps.get,
    async worker(w = {}) {
      if (role !== 'worker' && role !== 'bench') throw new Error(`a ${role} process runs no worker`);
      const [{ createDeskWorker }, { connectWorker }] = await Promise.all([import('./worker'), import('./temporal-connection')]);
      const deps = await activityDeps.get();
      const connection = w.connection ?? (ownConnection ??= await connectWorker(config.temporal));
      return createDeskWorker({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        deps,
        ...(w.workflowBundle ? { workflowBundle: w.workflowBundle } : {}),
      });
    },
    async close() {
      // The trail first: its last events may still route an alert through the client.
      if (trail.built()) await trail.get().then((t) => t.close(), () => undefined);
      if (client.built()) await client.get().then((c) => c.connection.close(), () => undefined);
      await ownConnection?.close();
    },
  };
  return parts as ComposedDesk<R>;
}
