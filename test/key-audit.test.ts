import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../activities';
import { AlertRouter, type AlertChannel } from '../adapters/alerts/router';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import type { Alert } from '../domain/severity';
import { keyAuditWorkflow } from '../workflows/key-audit';
import { eventsOf } from './helpers/audit-read';
import { testNowMs } from './helpers/clock';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { workerDeps } from './helpers/worker-deps';

class RecordingChannel implements AlertChannel {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async deliver(_text: string, alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
}

const ACCOUNTS = ['ka1', 'ka2', 'ka3', 'ka4', 'wf1', 'wf2', 'wf3', 'wf4'];
let h: ExchangeHarness;
let t: TemporalHarness;
let deps: ActivityDeps;
const channel = new RecordingChannel();

beforeAll(async () => {
  h = await ExchangeHarness.start(5);
  const logger = createLogger({ level: 'silent' });
  const audit = h.audit;
  const secrets = h.secrets();
  const gateways = new CcxtGatewayProvider({ secrets, accounts: ACCOUNTS.flatMap((a) => h.accounts(a)), enableRateLimit: false, timeoutMs: 3000 });
  const alerts = new AlertRouter({ channels: [channel], audit, logger, now: testNowMs });
  deps = { ...(await workerDeps({ logger, audit, secrets, gateways, alerts })), workerIdentity: 'test-worker' };
  t = await temporalHarness();
  await t.startWorker(deps);
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

describe('auditAccountKeys (the activity a session checks before it starts)', () => {
  it('flags a key with withdrawals enabled as CRITICAL, audits every finding, and returns no secret', async () => {
    const key = h.addKey('binance', 'ka1', { permissions: { withdraw: true } });
    const result = await createActivities(deps).auditAccountKeys({ exchange: 'binance', account: 'ka1', auditId: 'test/ka1' });
    expect(result.critical).toBe(true);
    expect(result.findings).toEqual([
      { exchange: 'binance', account: 'ka1', key: 'trading', severity: 'CRITICAL', code: 'withdraw_enabled', message: 'Withdrawal permission enabled on Binance! Disable immediately.' },
    ]);
    expect(result.keys.monitoring).toBeUndefined();
    const audited = eventsOf(h.audit, 'key_audit').filter((e) => e.id.startsWith('test/ka1/'));
    expect(audited.map((e) => [e.id, e.data.severity, e.data.code])).toEqual([['test/ka1/binance/ka1/trading/withdraw_enabled', 'CRITICAL', 'withdraw_enabled']]);
    const text = JSON.stringify(result);
    expect(text).not.toContain(key.apiKey);
    expect(text).not.toContain(key.secret);
  });

  it('audits the monitoring key when one is stored: separate and read-only is OK, the same key is CRITICAL', async () => {
    h.addKey('okx', 'ka2');
    h.addKey('okx', 'ka2', { purpose: 'monitoring', permissions: { trade: false } });
    const clean = await createActivities(deps).auditAccountKeys({ exchange: 'okx', account: 'ka2' });
    expect(clean.findings.map((f) => `${f.key}:${f.code}`)).toEqual(['trading:ok', 'monitoring:ok']);
    expect(clean.keys.monitoring).toMatch(/^[0-9a-f]{12}$/);
    expect(clean.keys.monitoring).not.toBe(clean.keys.trading);

    // The same key stored under both names.
    const shared = h.addKey('bybit', 'ka3');
    h.addKey('bybit', 'ka3', { purpose: 'monitoring' });
    const path = join(h.stateDir, PAPER_SECRETS_FILE);
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    file['warden/bybit/ka3/monitoring'] = file['warden/bybit/ka3/trading'];
    writeFileSync(path, JSON.stringify(file));
    const sharedResult = await createActivities({ ...deps, secrets: h.secrets() }).auditAccountKeys({ exchange: 'bybit', account: 'ka3' });
    expect(sharedResult.critical).toBe(true);
    expect(sharedResult.findings.at(-1)).toMatchObject({ key: 'monitoring', severity: 'CRITICAL', code: 'shared_key' });
    expect(JSON.stringify(sharedResult)).not.toContain(shared.apiKey);
  });

  it('audits a staged (AWSPENDING) key and labels it so in the trail', async () => {
    h.addKey('binance', 'ka4');
    h.addKey('binance', 'ka4', { pending: true, permissions: { transfer: true } });
    const result = await createActivities(deps).auditAccountKeys({ exchange: 'binance', account: 'ka4', stage: 'AWSPENDING', auditId: 'test/ka4' });
    expect(result).toMatchObject({ stage: 'AWSPENDING', purpose: 'trading', critical: true });
    expect(result.findings.map((f) => f.code)).toEqual(['transfer_enabled']);
    expect(eventsOf(h.audit, 'key_audit').find((e) => e.id.startsWith('test/ka4/'))?.data.key).toBe('trading@AWSPENDING');
  });
});

describe('keyAuditWorkflow (the daily audit)', () => {
  it('audits every account, alerts on each finding (CRITICAL for withdrawal rights) and reports an account it could not audit', async () => {
    h.addKey('binance', 'wf1', { permissions: { withdraw: true } });
    h.addKey('okx', 'wf2');
    h.addKey('bybit', 'wf3', { ipWhitelist: [] });
    // wf4 has no key stored at all.
    const before = channel.alerts.length;
    const report = await t.client.workflow.execute(keyAuditWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `key-audit-test-${Date.now()}`,
      args: [
        {
          accounts: [
            { exchange: 'binance', account: 'wf1' },
            { exchange: 'okx', account: 'wf2' },
            { exchange: 'bybit', account: 'wf3' },
            { exchange: 'binance', account: 'wf4' },
          ],
        },
      ],
    });
    expect(report).toMatchObject({ critical: 1, failed: 1 });
    expect(report.accounts.map((a) => [a.exchange, a.account, a.findings.map((f) => f.code), !!a.error])).toEqual([
      ['binance', 'wf1', ['withdraw_enabled'], false],
      ['okx', 'wf2', ['ok'], false],
      ['bybit', 'wf3', ['wildcard_ip_whitelist', 'whitelist_mismatch'], false],
      ['binance', 'wf4', [], true],
    ]);
    expect(report.accounts[3]!.error).toMatch(/^SecretNotFoundError: Secret warden\/binance\/wf4\/trading is unavailable/);

    const raised = channel.alerts.slice(before);
    expect(raised.every((a) => a.name === 'key_audit_finding')).toBe(true);
    const critical = raised.filter((a) => a.severity === 'CRITICAL');
    expect(critical.map((a) => a.message)).toEqual(['[binance/wf1] Withdrawal permission enabled on Binance! Disable immediately.']);
    expect(critical[0]!.dedupKey).toBe('key_audit_finding:binance/wf1:trading-withdraw_enabled');
    expect(raised.filter((a) => a.severity === 'WARNING').map((a) => a.dedupKey).sort()).toEqual([
      'key_audit_finding:binance/wf4:audit-failed',
      'key_audit_finding:bybit/wf3:trading-whitelist_mismatch',
      'key_audit_finding:bybit/wf3:trading-wildcard_ip_whitelist',
    ]);
    // Every finding is in the trail, OK ones included.
    const trail = eventsOf(h.audit, 'key_audit').filter((e) => ['wf1', 'wf2', 'wf3'].includes(String(e.data.account)));
    expect(trail.map((e) => `${e.data.account}:${e.data.code}`).sort()).toEqual(['wf1:withdraw_enabled', 'wf2:ok', 'wf3:whitelist_mismatch', 'wf3:wildcard_ip_whitelist']);
  });
});
