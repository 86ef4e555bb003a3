import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initAuditBucket } from '../adapters/audit/bucket';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { createMetrics, startMetricsServer, type MetricsServer } from '../adapters/metrics';
import { AwsSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { loadConfig, loadedConfig, readConfigFile } from '../config/load';
import { ExchangeAccountConfig, WardenConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import type { PreflightItem } from '../domain/preflight';
import { deliverTestAlert } from '../workers/alert-channels';
import { assertPreflight, preflightDepsFrom, preflightGate, PreflightFailedError, runPreflight, type PreflightDeps } from '../workers/preflight';
import { applySchedules, SECURITY_SCHEDULE_IDS } from '../workers/schedules';
import { openTempTrail, tempDir } from './helpers/audit';
import { createLogger } from '../adapters/logger';
import { motoClients } from './helpers/aws';
import { ExchangeHarness, VENUE_IDS } from './helpers/exchange';
import { FAKE_BOT_TOKEN, startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

const run = promisify(execFile);

/** The guide's "Security Checklist for Production", word for word. */
const GUIDE: Record<string, string[]> = {
  'Secrets Management': [
    'AWS Secrets Manager configured',
    'All secrets migrated from .env',
    'Secrets rotation schedule set (90 days)',
    'CloudHSM configured for cold wallets',
    'No secrets in code or config files',
  ],
  'Exchange Security': [
    'API keys have NO withdrawal permissions',
    'API keys have NO transfer permissions',
    'IP whitelist configured (server IPs only)',
    'Daily withdrawal limit set to $0',
    'Separate keys for trading vs. monitoring',
  ],
  'Wallet Security': [
    'Cold wallet (80%) in hardware wallet',
    'Warm wallet (19%) on exchange, no withdrawal perms',
    'Hot wallet (1%) multi-sig configured',
    'Bot NEVER has access to private keys',
    'Manual rebalancing procedure documented',
  ],
  'Network Security': ['Firewall rules configured', 'SSH key-only authentication', 'VPC with private subnets', 'SSL/TLS for all connections', 'Bastion host for SSH access'],
  Monitoring: ['Prometheus metrics configured', 'Grafana dashboards created', 'PagerDuty/alerting configured', 'Telegram alerts enabled', 'Health checks running'],
  'Audit Logging': ['S3 WORM bucket created', 'Audit logging enabled', 'Log retention policy set (7 years)', 'Log monitoring configured'],
  'Incident Response': ['Runbooks created', 'On-call rotation configured', 'Emergency stop procedure tested', 'Incident response plan documented'],
};
const MANUAL = [
  'CloudHSM configured for cold wallets',
  'Daily withdrawal limit set to $0',
  'Cold wallet (80%) in hardware wallet',
  'Hot wallet (1%) multi-sig configured',
  'Bot NEVER has access to private keys',
  'Firewall rules configured',
  'SSH key-only authentication',
  'VPC with private subnets',
  'Bastion host for SSH access',
  'Grafana dashboards created',
  'Log monitoring configured',
  'Emergency stop procedure tested',
  'Incident response plan documented',
];

describe('warden preflight on the paper config', () => {
  it('--json lists all 33 checklist items in the guide order and exits non-zero (paper fails production rules)', async () => {
    const err = await run('node', ['bin/warden.js', '--config', 'config/paper.yaml', 'preflight', '--json']).catch((e: { code: number; stdout: string }) => e);
    expect('code' in err ? err.code : 0).toBe(1);
    const { items } = JSON.parse(err.stdout) as { items: PreflightItem[] };
    expect(items.map((i) => [i.section, i.item])).toEqual(Object.entries(GUIDE).flatMap(([section, names]) => names.map((n) => [section, n])));
    for (const i of items) {
      expect(Object.keys(i).sort()).toEqual(['item', 'reason', 'section', 'status']);
      expect(i.reason.length).toBeGreaterThan(0);
    }
    expect(items.filter((i) => i.status === 'manual').map((i) => i.item)).toEqual(MANUAL);
    const failed = new Map(items.filter((i) => i.status === 'fail').map((i) => [i.item, i.reason]));
    expect(failed.get('AWS Secrets Manager configured')).toBe('secrets.provider is local-file; production reads AWS Secrets Manager');
    expect(failed.get('S3 WORM bucket created')).toBe('audit.shipToS3 is false: the trail stays in the local spool');
    expect(failed.get('Telegram alerts enabled')).toBe('telegram is not configured (chatId and numeric operatorIds)');
  });
});

describe('preflight of a production desk (moto, simulator, fake Telegram, metrics server)', () => {
  const { secrets: sm, s3 } = motoClients();
  let h: ExchangeHarness;
  let t: TemporalHarness;
  let tg: FakeTelegram;
  let metrics: MetricsServer;
  let dir: string;
  let secrets: CachedSecretsStore;
  const BUCKET = 'warden-preflight-audit';

  const secretJson = (k: { apiKey: string; secret: string; passphrase?: string }, trade: boolean) =>
    JSON.stringify({
      api_key: k.apiKey,
      secret: k.secret,
      ...(k.passphrase ? { passphrase: k.passphrase } : {}),
      ip_whitelist: ['127.0.0.1'],
      permissions: { read: true, trade, withdraw: false, transfer: false },
      created_at: new Date().toISOString(),
    });

  async function storeKeys(venue: ExchangeId, account: string, trading: { withdraw?: boolean } = {}) {
    const tk = h.addKey(venue, account, { permissions: trading });
    const mk = h.addKey(venue, account, { purpose: 'monitoring', permissions: { trade: false } });
    await sm.send(new CreateSecretCommand({ Name: `warden/${venue}/${account}/trading`, SecretString: secretJson(tk, true) }));
    await sm.send(new CreateSecretCommand({ Name: `warden/${venue}/${account}/monitoring`, SecretString: secretJson(mk, false) }));
  }

  /** `loader: false` skips the loader's refusals, to show preflight still names what a hand-built config carries. */
  function productionConfig(name: string, over: Record<string, unknown> = {}, { loader = true } = {}) {
    const port = Number(new URL(metrics.url).port);
    const path = join(dir, name);
    writeFileSync(
      path,
      JSON.stringify({
        profile: 'production',
        desk: { name: 'prod', stateDir: join(dir, 'state') },
        temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue: t.taskQueue, tls: { enabled: true } },
        exchanges: VENUE_IDS.map((exchange) => ({ exchange, account: 'prod', baseUrl: h.sim.url, symbols: ['BTC/USDT'] })),
        aws: { endpoint: inject('motoEndpoint'), forcePathStyle: true, auditBucket: BUCKET },
        telegram: { chatId: -1001234567890, operatorIds: [42], apiRoot: tg.apiRoot },
        alerts: { escalation: [42] },
        secrets: { provider: 'aws' },
        audit: { shipToS3: true },
        metrics: { host: '127.0.0.1', port },
        wallets: { coldUsd: 100_000 },
        databaseUrl: 'postgresql://db.internal:5432/warden?sslmode=require',
        redisUrl: 'rediss://cache.internal:6379',
        ...over,
      }),
    );
    // Production refuses secrets in env or .env: this process's env holds moto credentials, so the check sees a clean one.
    if (!loader) return loadedConfig(WardenConfig.parse(readConfigFile(path).raw), path);
    return loadConfig(path, { env: {}, cwd: dir });
  }

  function deps(loaded: ReturnType<typeof loadConfig>, over: Partial<PreflightDeps> = {}): PreflightDeps {
    const accounts = loaded.config.exchanges.map((x) => ExchangeAccountConfig.parse(x));
    const gateways = new CcxtGatewayProvider({ secrets, accounts, enableRateLimit: false, timeoutMs: 3000 });
    return { ...preflightDepsFrom({ secrets, gateways, s3, client: t.client }, { env: {}, cwd: dir }), ...over };
  }

  /** What `warden preflight` adds to the worker's gate: a real test alert on every configured channel. */
  const withTestAlert = (loaded: ReturnType<typeof loadConfig>): Partial<PreflightDeps> => ({
    testAlerts: async () => deliverTestAlert(loaded.config, { secrets, logger: createLogger({ level: 'silent' }), audit: await openTempTrail() }, 'preflight-test', 'warden preflight'),
  });

  beforeAll(async () => {
    h = await ExchangeHarness.start(41);
    t = await temporalHarness();
    tg = await startFakeTelegram();
    metrics = await startMetricsServer(createMetrics(), { host: '127.0.0.1', port: 0 });
    dir = tempDir();
    secrets = new CachedSecretsStore({ source: new AwsSecretSource(sm), prefix: 'warden', ttlSeconds: 60, audit: await openTempTrail(), accessedBy: 'preflight-test' });
    for (const venue of VENUE_IDS) await storeKeys(venue, 'prod');
    await sm.send(new CreateSecretCommand({ Name: 'warden/telegram/bot', SecretString: JSON.stringify({ token: FAKE_BOT_TOKEN }) }));
    await initAuditBucket(s3, BUCKET, 2555);
    await applySchedules(t.client, productionConfig('schedules.json').config);
  });
  afterAll(async () => {
    for (const id of SECURITY_SCHEDULE_IDS) await t?.client.schedule.getHandle(id).delete().catch(() => undefined);
    await metrics?.close();
    await tg?.close();
    await t?.close();
    await h?.close();
  });

  it('with everything right, every automated item passes and the gate lets sessions start', async () => {
    const loaded = productionConfig('good.json');
    const sentBefore = tg.callsTo('sendMessage').length;
    const report = await runPreflight(loaded, deps(loaded, withTestAlert(loaded)));
    expect(report.items.filter((i) => i.status === 'fail')).toEqual([]);
    expect(report.items).toHaveLength(33);
    expect(report.items.filter((i) => i.status === 'pass')).toHaveLength(20);
    expect(report.ok).toBe(true);
    const reason = (item: string) => report.items.find((i) => i.item === item)?.reason;
    expect(reason('API keys have NO withdrawal permissions')).toBe('6 keys audited at the venues: none can withdraw');
    expect(reason('Telegram alerts enabled')).toBe('bot @WardenTestBot answers; chat -1001234567890; 1 operator by numeric id');
    expect(reason('S3 WORM bucket created')).toBe(`bucket ${BUCKET}: Object Lock with COMPLIANCE default retention`);
    expect(reason('Secrets rotation schedule set (90 days)')).toBe('schedule rotation-check runs rotationCheckWorkflow daily; keys rotate after 90 days');
    expect(tg.callsTo('getMe').length).toBeGreaterThan(0);
    // The alerting item delivered a real test alert, and says so; the on-call item found everyone reachable.
    expect(reason('PagerDuty/alerting configured')).toBe('CRITICAL alerts go to telegram; a test alert was delivered on telegram');
    expect(reason('On-call rotation configured')).toBe('unacknowledged incidents escalate to 1 contact (tg:42), each on a configured channel');
    expect(tg.callsTo('sendMessage').length).toBe(sentBefore + 1);
    // The gate a worker runs at every start checks the configuration without paging anyone.
    expect(await preflightGate(loaded, deps(loaded))).toEqual({ ok: true, failures: [] });
    expect(tg.callsTo('sendMessage').length).toBe(sentBefore + 1);
  });

  it('alerting and on-call fail for real: a channel that does not take the test alert, nobody reachable to escalate to', async () => {
    const loaded = productionConfig('alerting.json', { alerts: { escalation: [{ name: 'Alice', email: 'alice@example.com' }] } });
    tg.failWithServerError('sendMessage', 10);
    const report = await runPreflight(loaded, deps(loaded, withTestAlert(loaded)));
    const failed = new Map(report.items.filter((i) => i.status === 'fail').map((i) => [i.item, i.reason]));
    expect([...failed.keys()]).toEqual(['PagerDuty/alerting configured', 'On-call rotation configured']);
    expect(failed.get('PagerDuty/alerting configured')).toMatch(/^the test alert was not delivered on telegram \(.*502/);
    expect(failed.get('On-call rotation configured')).toBe('alerts.escalation: Alice cannot be reached on a configured channel (telegram)');
    const none = productionConfig('no-escalation.json', { alerts: { escalation: [] } });
    const r2 = await runPreflight(none, deps(none));
    expect(r2.items.find((i) => i.item === 'On-call rotation configured')).toMatchObject({ status: 'fail', reason: 'alerts.escalation is empty: nobody is paged when an incident is not acknowledged' });
  });

  it('names what is wrong: a secret in env, a key that can withdraw, a bucket without Object Lock, plaintext Postgres, no worker; the gate refuses', async () => {
    await storeKeys('binance', 'risky', { withdraw: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'warden-preflight-nolock' }));
    const loaded = productionConfig('bad.json', {
      exchanges: [{ exchange: 'binance', account: 'risky', baseUrl: h.sim.url }],
      aws: { endpoint: inject('motoEndpoint'), forcePathStyle: true, auditBucket: 'warden-preflight-nolock' },
      metrics: { host: '127.0.0.1', port: 1 },
      databaseUrl: 'postgresql://warden:hunter2@db.internal:5432/warden',
    }, { loader: false });
    const d = deps(loaded, { env: { BINANCE_API_KEY: 'x' } });
    const report = await runPreflight(loaded, d);
    const failed = new Map(report.items.filter((i) => i.status === 'fail').map((i) => [i.item, i.reason]));
    expect([...failed.keys()]).toEqual([
      'All secrets migrated from .env',
      'No secrets in code or config files',
      'API keys have NO withdrawal permissions',
      'Warm wallet (19%) on exchange, no withdrawal perms',
      'SSL/TLS for all connections',
      'Prometheus metrics configured',
      'Health checks running',
      'S3 WORM bucket created',
      'Log retention policy set (7 years)',
    ]);
    expect(failed.get('All secrets migrated from .env')).toBe('secrets must come from Secrets Manager, found: environment variable BINANCE_API_KEY');
    expect(failed.get('No secrets in code or config files')).toBe('move to Secrets Manager: databaseUrl carries a password');
    expect(failed.get('API keys have NO withdrawal permissions')).toBe('[binance/risky] Withdrawal permission enabled on Binance! Disable immediately.');
    expect(failed.get('SSL/TLS for all connections')).toBe('databaseUrl does not require TLS (add sslmode=require)');
    expect(failed.get('S3 WORM bucket created')).toBe('bucket warden-preflight-nolock has no Object Lock (run `warden audit init` on a new bucket)');
    expect(failed.get('Log retention policy set (7 years)')).toBe('bucket warden-preflight-nolock has no default retention');
    // The password itself is nowhere in the report.
    expect(JSON.stringify(report)).not.toContain('hunter2');

    const gate = await preflightGate(loaded, d);
    expect(gate.ok).toBe(false);
    expect(gate.failures.map((f) => f.item)).toEqual([...failed.keys()]);
    await expect(assertPreflight(loaded, d)).rejects.toBeInstanceOf(PreflightFailedError);
  });
});
