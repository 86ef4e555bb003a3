/**
 * `warden preflight`'s fact gathering, in one place: every outside question
 * the checklist needs (secrets, venues, Temporal, S3, Telegram, the worker's
 * endpoints) is asked here, and domain/preflight.ts judges the answers. The
 * same run gates a production desk: `preflightGate` before sessions start.
 */
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GetObjectLockConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { collectKeyAudit } from '../activities/security';
import type { AuditEvent, AuditEventInput } from '../adapters/audit/events';
import type { AuditRecorder } from '../adapters/audit/trail';
import type { AwsClients } from '../adapters/aws';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { isListening } from '../adapters/free-port';
import { createLogger, type Logger } from '../adapters/logger';
import { sanitize } from '../adapters/redact';
import type { SecretRotator } from '../adapters/secrets/rotation';
import { exchangeSecretName, type SecretsStore } from '../adapters/secrets/types';
import { ConfigError, findPlaintextSecretSources, formatIssues, loadedConfig, readConfigFile, type LoadedConfig } from '../config/load';
import { RUNBOOKS_DIR } from '../config/paths';
import { WardenConfig } from '../config/schema';
import { databaseUrlRequiresTls, evaluatePreflight, failingItems, redisUrlRequiresTls, urlHasPassword, type PreflightFacts, type PreflightItem, type Probe } from '../domain/preflight';
import { ROUTED_CHANNELS } from '../domain/severity';
import { deliverTestAlert } from './alert-channels';
import { ROTATION_CHECK_SCHEDULE_ID } from './schedules';
import { connectClient } from '../clients/connect';
import { composeDesk } from './composition';
import { errorMessage } from '../domain/error-message';


/** Everything preflight asks the outside world through; the CLI wires real clients, tests their own. */
export interface PreflightDeps {
  env: NodeJS.ProcessEnv;
  cwd: string;
  secrets: SecretsStore;
  gateways: GatewayProvider;
  s3: S3Client;
  /** The schedule's workflow type, `undefined` when it does not exist; throws when Temporal cannot be asked. */
  describeSchedule(id: string): Promise<{ workflowType: string } | undefined>;
  fetch: typeof fetch;
  /** Telegram's getMe with this token (grammy in the CLI). */
  telegramGetMe(token: string, apiRoot?: string): Promise<{ username?: string }>;
  runbooksDir: string;
  /**
   * Delivers a test alert on every configured channel (`warden preflight`). Absent at a worker's start:
   * a gate run on every deploy must not page the on-call; the configuration is still checked.
   */
  testAlerts?: () => Promise<Array<{ channel: string; ok: boolean; error?: string }>>;
}

export interface PreflightReport {
  profile: 'paper' | 'production';
  items: PreflightItem[];
  /** No automated item fails. */
  ok: boolean;
}

const message = (err: unknown) => sanitize(errorMessage(err));

async function probe<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

/** The worker binds 0.0.0.0 in production; from this host it answers on loopback. */
function localUrl(host: string, port: number, path: string): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}

export async function gatherPreflightFacts(loaded: LoadedConfig, deps: PreflightDeps): Promise<PreflightFacts> {
  const { config } = loaded;
  const { raw } = readConfigFile(loaded.path);
  const sources = findPlaintextSecretSources(raw, loaded.path, deps.env, deps.cwd);
  const named = (prefix: string) => sources.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));

  const secretReads: PreflightFacts['secretReads'] = [];
  const keys: PreflightFacts['keys'] = [];
  for (const { exchange, account } of config.exchanges) {
    const secret = exchangeSecretName(config.aws.secretsPrefix, exchange, account, 'trading');
    const read = await probe(() => deps.secrets.getExchangeCredentials(exchange, account, 'trading'));
    secretReads.push(read.ok ? { secret } : { secret, error: read.error });
    const audit = await probe(() => collectKeyAudit(deps, { exchange, account }));
    keys.push(audit.ok ? { exchange, account, findings: audit.value.findings, keys: audit.value.keys } : { exchange, account, findings: [], error: audit.error });
  }

  const schedule = await probe(() => deps.describeSchedule(ROTATION_CHECK_SCHEDULE_ID));
  const metricsUrl = localUrl(config.metrics.host, config.metrics.port, '/metrics');
  const metrics = await probe(async () => {
    const res = await deps.fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  });
  const healthUrl = localUrl(config.metrics.host, config.metrics.port, '/healthz');
  const health = await probe(async () => {
    const res = await deps.fetch(healthUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  });

  let getMe: (Probe & { username?: string }) | undefined;
  if (config.telegram) {
    const tg = config.telegram;
    const me = await probe(async () => deps.telegramGetMe(await deps.secrets.getTelegramToken(), tg.apiRoot));
    getMe = me.ok ? { ok: true, username: me.value.username } : { ok: false, error: me.error };
  }

  let lock: PreflightFacts['audit']['lock'];
  if (config.audit.shipToS3) {
    const got = await probe(() =>
      deps.s3.send(new GetObjectLockConfigurationCommand({ Bucket: config.aws.auditBucket })).catch((err: { name?: string }) => {
        // S3's answer for a bucket created without Object Lock: a fact about the bucket, not a failure to ask.
        if (err.name === 'ObjectLockConfigurationNotFoundError') return { ObjectLockConfiguration: undefined };
        throw err;
      }),
    );
    if (!got.ok) lock = { ok: false, enabled: false, error: got.error };
    else {
      const c = got.value.ObjectLockConfiguration;
      const rule = c?.Rule?.DefaultRetention;
      lock = { ok: true, enabled: c?.ObjectLockEnabled === 'Enabled', mode: rule?.Mode, days: rule?.Days, years: rule?.Years };
    }
  }

  const channels = ROUTED_CHANNELS.filter((c) => (c === 'telegram' ? !!config.telegram : !!config.alerts[c]));
  const tested = deps.testAlerts ? await probe(deps.testAlerts) : undefined;
  const alerting: PreflightFacts['alerting'] = {
    channels,
    critical: config.alerts.routes.CRITICAL.filter((c) => channels.includes(c)),
    ...(tested ? { test: tested.ok ? tested.value.filter((t) => t.channel !== 'log') : [{ channel: 'router', ok: false, error: tested.error }] } : {}),
  };

  const runbooks = existsSync(deps.runbooksDir) ? readdirSync(deps.runbooksDir).filter((f) => f.endsWith('.md') && f !== 'README.md') : [];
  const endpoints = [
    ...config.exchanges.filter((x) => x.baseUrl).map((x) => ({ what: `exchanges ${x.exchange}/${x.account} baseUrl`, url: x.baseUrl! })),
    ...(config.aws.endpoint ? [{ what: 'aws.endpoint', url: config.aws.endpoint }] : []),
    ...(config.telegram?.apiRoot ? [{ what: 'telegram.apiRoot', url: config.telegram.apiRoot }] : []),
  ];

  return {
    profile: config.profile,
    secretsProvider: config.secrets.provider,
    plaintextSecrets: { environment: named('environment variable '), dotenvFiles: named('file '), configFields: named('config field ') },
    secretReads,
    rotation: {
      intervalDays: config.secrets.rotationDays,
      schedule: schedule.ok ? { ok: true, found: !!schedule.value, workflowType: schedule.value?.workflowType } : { ok: false, found: false, error: schedule.error },
    },
    keys,
    wallets: { configured: !!config.wallets, confirmers: (config.telegram?.operatorIds.length ?? 0) + (config.wallets?.cliOperators.length ?? 0) },
    connections: {
      temporalTls: config.temporal.tls.enabled,
      temporalAddress: config.temporal.address,
      ...(config.databaseUrl ? { database: { tls: databaseUrlRequiresTls(config.databaseUrl), passwordInUrl: urlHasPassword(config.databaseUrl) } } : {}),
      ...(config.redisUrl ? { redis: { tls: redisUrlRequiresTls(config.redisUrl), passwordInUrl: urlHasPassword(config.redisUrl) } } : {}),
      endpoints,
    },
    metrics: metrics.ok ? { ok: true, url: metricsUrl, deskMetrics: metrics.value.includes('trading_orders_placed_total') } : { ok: false, url: metricsUrl, deskMetrics: false, error: metrics.error },
    health: health.ok ? { ok: true, url: healthUrl } : { ok: false, url: healthUrl, error: health.error },
    telegram: { configured: !!config.telegram, chatId: config.telegram?.chatId, operatorIds: config.telegram?.operatorIds ?? [], ...(getMe ? { getMe } : {}) },
    escalation: config.alerts.escalation,
    alerting,
    audit: { shipToS3: config.audit.shipToS3, bucket: config.aws.auditBucket, retentionDays: config.audit.retentionDays.audit, ...(lock ? { lock } : {}) },
    runbooks,
  };
}

export async function runPreflight(loaded: LoadedConfig, deps: PreflightDeps): Promise<PreflightReport> {
  const items = evaluatePreflight(await gatherPreflightFacts(loaded, deps));
  return { profile: loaded.config.profile, items, ok: failingItems(items).length === 0 };
}

export class PreflightFailedError extends Error {
  constructor(readonly failures: PreflightItem[]) {
    super(`Refusing to trade in production: ${failures.length} preflight item(s) fail: ${failures.map((f) => `${f.section} / ${f.item}: ${f.reason}`).join('; ')}`);
    this.name = 'PreflightFailedError';
  }
}

/**
 * The production gate: the failing automated items (empty: go). A paper desk
 * is never gated. `assertPreflight` throws instead, for a caller that refuses
 * to start sessions.
 */
export async function preflightGate(loaded: LoadedConfig, deps: PreflightDeps): Promise<{ ok: boolean; failures: PreflightItem[] }> {
  if (loaded.config.profile !== 'production') return { ok: true, failures: [] };
  const failures = failingItems((await runPreflight(loaded, deps)).items);
  return { ok: failures.length === 0, failures };
}

export async function assertPreflight(loaded: LoadedConfig, deps: PreflightDeps): Promise<void> {
  const gate = await preflightGate(loaded, deps);
  if (!gate.ok) throw new PreflightFailedError(gate.failures);
}

// ---- wiring for the CLI (and a worker that wants the gate) ------------------------------

/**
 * The CLI does not append to the desk's hash-chained trail: only the worker
 * writes there, and a second writer would fork the chain. Its secret reads are
 * logged (to stderr) instead, without values.
 */
export class LogAuditRecorder implements AuditRecorder {
  constructor(private readonly logger: Logger) {}

  async record(input: AuditEventInput): Promise<AuditEvent> {
    const event: AuditEvent = {
      seq: 0,
      id: input.id ?? `cli/${Date.now()}`,
      time: input.time ?? new Date().toISOString(),
      type: input.type,
      actor: input.actor,
      host: hostname(),
      data: input.data as Record<string, unknown>,
      prevHash: '',
      hash: '',
    };
    this.logger.info({ audit: event.type, actor: event.actor, data: event.data }, `audit (cli, not chained): ${event.type}`);
    return event;
  }
}

export interface SecurityIo {
  aws: AwsClients;
  secrets: SecretsStore;
  gateways: GatewayProvider;
  rotator: SecretRotator;
  logger: Logger;
}

/**
 * Secrets, gateways and the rotator for an in-process command. A paper account
 * without a baseUrl is the local simulator (as `warden dev` wires it), never the real venue.
 */
export async function openSecurityIo(
  loaded: LoadedConfig,
  accessedBy: string,
  logger: Logger = createLogger({ destination: process.stderr }),
  /** Where secret reads are audited: the CLI's trail; the log only when no trail is at hand. */
  audit: AuditRecorder = new LogAuditRecorder(logger),
): Promise<SecurityIo> {
  const parts = composeDesk(loaded, 'cli', { identity: accessedBy, logger, audit, venueTimeoutMs: 10_000 });
  const [aws, secrets, gateways, rotator] = await Promise.all([parts.aws(), parts.secrets(), parts.gateways(), parts.rotator()]);
  return { aws, secrets, gateways, rotator, logger };
}

/** A Temporal client only if something listens at the address, so an absent server fails in milliseconds. */
export async function connectIfListening(config: WardenConfig): Promise<Client> {
  const [host, port] = [config.temporal.address.replace(/:\d+$/, ''), Number(config.temporal.address.split(':').pop())];
  if (!(await isListening(host, port, 2000))) throw new Error(`nothing listens at ${config.temporal.address}`);
  return connectClient(config.temporal);
}

export async function describeScheduleWith(client: Client, id: string): Promise<{ workflowType: string } | undefined> {
  try {
    return { workflowType: (await client.schedule.getHandle(id).describe()).action.workflowType };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Telegram's getMe through grammy; its errors carry the request URL (with the token), so only a scrubbed message leaves. */
export async function grammyGetMe(token: string, apiRoot?: string): Promise<{ username?: string }> {
  const { Api } = await import('grammy');
  try {
    const me = await new Api(token, { apiRoot, timeoutSeconds: 5 }).getMe();
    return { username: me.username };
  } catch (err) {
    const { describeTelegramError } = await import('../adapters/alerts/telegram');
    throw new Error(describeTelegramError(err));
  }
}

/**
 * Preflight deps from what a worker process already holds (its secrets store,
 * gateways, S3 and Temporal clients): how a worker gates its sessions. Run it
 * after the metrics server is up, or the metrics and health items fail.
 */
export function preflightDepsFrom(
  io: { secrets: SecretsStore; gateways: GatewayProvider; s3: S3Client; client: Client | (() => Promise<Client>) },
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): PreflightDeps {
  const client = async () => (typeof io.client === 'function' ? io.client() : io.client);
  return {
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
    secrets: io.secrets,
    gateways: io.gateways,
    s3: io.s3,
    describeSchedule: async (id) => describeScheduleWith(await client(), id),
    fetch,
    telegramGetMe: grammyGetMe,
    runbooksDir: RUNBOOKS_DIR,
  };
}

/** The real deps for the CLI: its own IO, a Temporal client connected on first use, and a test alert on every channel (as `warden alerts test`). */
export function createPreflightDeps(loaded: LoadedConfig, io: SecurityIo, audit: AuditRecorder = new LogAuditRecorder(io.logger)): PreflightDeps & { close(): Promise<void> } {
  let client: Promise<Client> | undefined;
  const actor = `preflight@${hostname()}`;
  return {
    ...preflightDepsFrom({ ...io, s3: io.aws.s3, client: () => (client ??= connectIfListening(loaded.config)) }),
    testAlerts: () => deliverTestAlert(loaded.config, { secrets: io.secrets, logger: io.logger, audit }, actor, 'warden preflight'),
    async close() {
      const c = await client?.catch(() => undefined);
      await c?.connection.close();
    },
  };
}

/**
 * Loads the config for preflight without the production refusal: preflight
 * only reads, and an env var or .env file holding a secret is exactly what it
 * must report (as a failed item) rather than stop on.
 */
export function loadConfigForPreflight(path: string): LoadedConfig {
  const { abs, raw } = readConfigFile(path);
  const parsed = WardenConfig.safeParse(raw);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues);
    throw new ConfigError(`Invalid config ${abs}:\n  ${problems.join('\n  ')}`, problems);
  }
  return loadedConfig(parsed.data, abs);
}
