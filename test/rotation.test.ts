import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertRouter, type AlertChannel } from '../adapters/alerts/router';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { keyFingerprint } from '../adapters/secrets/fingerprint';
import { AwsSecretRotator } from '../adapters/secrets/rotation';
import { AwsSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import type { ExchangeId } from '../domain/market';
import type { Alert } from '../domain/severity';
import {
  oldKeyRevokedUpdate,
  pendingStoredUpdate,
  rotationStatusQuery,
  type RotateInput,
  type RotationState,
} from '../contracts/rotation';
import { rotateCredentialWorkflow, rotationCheckWorkflow, rotationDue } from '../workflows/rotation';
import { eventsOf } from './helpers/audit-read';
import { tempDir } from './helpers/audit';
import { daysAgo, plusDays, testClock, testNowMs } from './helpers/clock';
import { motoClients } from './helpers/aws';
import { ExchangeHarness, type KeyOptions } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

class RecordingChannel implements AlertChannel {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async deliver(_text: string, alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
}

const ACCOUNTS = ['rot1', 'rot2', 'rot3'];
const { secrets: sm } = motoClients();
const channel = new RecordingChannel();
let h: ExchangeHarness;
let t: TemporalHarness;
let secrets: CachedSecretsStore;
let gateways: CcxtGatewayProvider;
let configPath: string;

beforeAll(async () => {
  h = await ExchangeHarness.start(21);
  t = await temporalHarness();
  const logger = createLogger({ level: 'silent' });
  secrets = new CachedSecretsStore({ source: new AwsSecretSource(sm), prefix: 'warden', ttlSeconds: 300, audit: h.audit, accessedBy: 'test-worker', now: testNowMs });
  gateways = new CcxtGatewayProvider({ secrets, accounts: ACCOUNTS.flatMap((a) => h.accounts(a)), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ gateways, secrets, audit: h.audit, rotator: new AwsSecretRotator(sm), alerts: new AlertRouter({ channels: [channel], audit: h.audit, logger, now: testNowMs }) });
  // What an operator's `warden` sees: the same moto Secrets Manager.
  configPath = join(tempDir(), 'warden.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      profile: 'paper',
      aws: { endpoint: inject('motoEndpoint'), forcePathStyle: true },
      secrets: { provider: 'aws' },
      temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue: t.taskQueue },
      exchanges: ACCOUNTS.flatMap((a) => h.accounts(a)).map((x) => ({ exchange: x.exchange, account: x.account, baseUrl: x.baseUrl })),
    }),
  );
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

/** `warden ...` as the operator runs it, with `stdin` piped in. */
function warden(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', ['bin/warden.js', '--config', configPath, ...args], { env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `warden secrets stage`: the JSON comes from --file or a pipe, never argv. */
function stageWithCli(exchange: ExchangeId, account: string, json: string, via: 'file' | 'stdin') {
  const args = ['secrets', 'stage', exchange, account];
  if (via === 'stdin') return warden(args, json);
  const file = join(tempDir(), 'new-key.json');
  writeFileSync(file, json, { mode: 0o600 });
  return warden([...args, '--file', file]);
}

/** A key registered at the simulator, as the seed's secret JSON. */
function newKey(exchange: ExchangeId, account: string, opts: KeyOptions & { createdAt?: string } = {}) {
  const k = h.addKey(exchange, account, opts);
  const json = JSON.stringify({
    api_key: k.apiKey,
    secret: k.secret,
    ...(k.passphrase ? { passphrase: k.passphrase } : {}),
    ip_whitelist: opts.ipWhitelist ?? ['127.0.0.1'],
    permissions: { read: true, trade: true, withdraw: false, transfer: false, ...opts.permissions },
    created_at: opts.createdAt ?? testClock().toISOString(),
  });
  return { ...k, json, fingerprint: keyFingerprint(k.apiKey) };
}

/** The live key, 100 days old by the test clock: past the 90-day interval. */
const STALE_DAYS = 100;
async function storeCurrent(exchange: ExchangeId, account: string, createdAt = daysAgo(STALE_DAYS)) {
  const k = newKey(exchange, account, { createdAt });
  await sm.send(new CreateSecretCommand({ Name: `warden/${exchange}/${account}/trading`, SecretString: k.json }));
  h.sim.setBalance(exchange, account, 'USDT', 1000);
  return { ...k, createdAt };
}

const smApiKey = async (exchange: ExchangeId, account: string, VersionStage: string) =>
  (JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `warden/${exchange}/${account}/trading`, VersionStage }))).SecretString!) as { api_key: string }).api_key;
const stepsOf = (exchange: string, account: string) =>
  eventsOf(h.audit, 'config_change')
    .filter((e) => e.data.parameter === `credential/${exchange}/${account}/trading`)
    .map((e) => String(e.data.reason).split(':')[0]);
const updateError = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { cause?: Error }) => e.cause?.message);

describe('rotationDue', () => {
  it('is due 90 days after created_at, or at rotation_date when sooner', () => {
    const now = Date.parse('2025-05-01T00:00:00Z');
    expect(rotationDue({ createdAt: '2025-01-15T00:00:00Z' }, 90, now)).toEqual({ dueAt: '2025-04-15T00:00:00.000Z', ageDays: 106, due: true });
    expect(rotationDue({ createdAt: '2025-03-01T00:00:00Z' }, 90, now)).toMatchObject({ due: false, ageDays: 61 });
    expect(rotationDue({ createdAt: '2025-03-01T00:00:00Z', rotationDate: '2025-04-30T00:00:00Z' }, 90, now)).toMatchObject({ due: true, dueAt: '2025-04-30T00:00:00.000Z' });
  });
});

describe('credential rotation against moto Secrets Manager and the simulator', () => {
  it('stale key -> rotation-check warns and starts rotateCredential -> staged -> audited -> promoted -> verified -> old key revoked', async () => {
    const old = await storeCurrent('binance', 'rot1');
    const before = channel.alerts.length;
    const report = await t.client.workflow.execute(rotationCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `rotation-check-test-${Date.now()}`,
      args: [{ accounts: [{ exchange: 'binance', account: 'rot1', symbols: ['BTC/USDT'] }], intervalDays: 90, operators: ['tg:42'], rotate: { cacheTtlSeconds: 0 } }],
    });
    // The account has no monitoring secret: only the trading key is checked.
    // The age is the worker's clock against created_at, so these hold whatever the test clock's shift.
    const dueAt = plusDays(old.createdAt, 90);
    expect(report.checked).toEqual([
      expect.objectContaining({ purpose: 'trading', keyFingerprint: old.fingerprint, due: true, dueAt, ageDays: STALE_DAYS, rotation: { workflowId: 'rotate/binance/rot1/trading', state: 'started' } }),
    ]);
    const due = channel.alerts.slice(before).find((a) => a.name === 'rotation_due' && a.dedupKey === 'rotation_due:binance/rot1:trading');
    expect(due).toMatchObject({ severity: 'WARNING' });
    expect(due!.message).toMatch(
      new RegExp(`^Credentials rotation needed for binance/rot1/trading: key [0-9a-f]{12} is ${STALE_DAYS} days old \\(created ${old.createdAt.slice(0, 10)}, due ${dueAt.slice(0, 10)}\\)`),
    );

    const rotation = t.client.workflow.getHandle<typeof rotateCredentialWorkflow>('rotate/binance/rot1/trading');
    const status = () => rotation.query(rotationStatusQuery);
    await waitFor(status, (s) => s.status === 'awaiting_pending', 20_000, 'the rotation to wait for a staged key');
    // A second check while it runs does not start another.
    const again = await t.client.workflow.execute(rotationCheckWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `rotation-check-test-${Date.now()}-2`,
      args: [{ accounts: [{ exchange: 'binance', account: 'rot1' }], intervalDays: 90 }],
    });
    expect(again.checked[0]!.rotation).toEqual({ workflowId: 'rotate/binance/rot1/trading', state: 'already_running' });
    // Updates are validated, naming the field.
    expect(await updateError(rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: '' }] }))).toBe('by: an operator id is required');
    expect(await updateError(rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: 'tg:99' }] }))).toBe('by: tg:99 is not an authorized operator');
    expect(await updateError(rotation.executeUpdate(oldKeyRevokedUpdate, { args: [{ by: 'tg:42' }] }))).toBe("status: this rotation is awaiting_pending, not awaiting the old key's revocation");

    // The operator creates a new key at the venue and stages it.
    const fresh = newKey('binance', 'rot1');
    const staged = await stageWithCli('binance', 'rot1', fresh.json, 'file');
    expect(staged.code).toBe(0);
    expect(staged.stdout).toMatch(new RegExp(`^staged warden/binance/rot1/trading as AWSPENDING \\(version [\\w-]+\\), new key ${fresh.fingerprint}\\n`));
    expect(await smApiKey('binance', 'rot1', 'AWSCURRENT')).toBe(old.apiKey);

    await rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: 'tg:42' }] });
    const live = await waitFor(status, (s) => s.status === 'awaiting_revocation', 30_000, 'promotion and verification');
    expect(live).toMatchObject({ currentKey: old.fingerprint, pendingKey: fresh.fingerprint, stagedBy: 'tg:42' });
    expect(await smApiKey('binance', 'rot1', 'AWSCURRENT')).toBe(fresh.apiKey);
    expect(await smApiKey('binance', 'rot1', 'AWSPREVIOUS')).toBe(old.apiKey);
    // The staged key was audited at the venue before promotion.
    const pendingAudit = eventsOf(h.audit, 'key_audit').filter((e) => e.data.account === 'rot1' && e.data.key === 'trading@AWSPENDING');
    expect(pendingAudit.map((e) => e.data.code)).toEqual(['ok']);

    // The operator revokes the old key at the exchange; the desk keeps working with the new one.
    h.sim.revokeKey('binance', old.apiKey);
    const state = await (await gateways.gateway('binance', 'rot1', 'trading')).accountState(['BTC/USDT']);
    expect(state.balances.USDT?.total).toBe(1000);
    await rotation.executeUpdate(oldKeyRevokedUpdate, { args: [{ by: 'tg:42' }] });
    const done: RotationState = await rotation.result();
    expect(done).toMatchObject({ status: 'completed', revokedBy: 'tg:42', outcome: `rotated ${old.fingerprint} -> ${fresh.fingerprint}` });
    const keys = h.sim.keys('binance').filter((k) => k.account === 'rot1');
    expect(keys.find((k) => k.apiKey === old.apiKey)?.revoked).toBe(true);
    expect(keys.find((k) => k.apiKey === fresh.apiKey)?.revoked).toBe(false);
    expect(stepsOf('binance', 'rot1')).toEqual([
      'started',
      'pending_stored',
      'pending_audited',
      'promoted',
      'cache_invalidated',
      'verified',
      'revocation_requested',
      'old_key_revoked',
      'completed',
    ]);
    const promotedStep = eventsOf(h.audit, 'config_change').find((e) => e.data.parameter === 'credential/binance/rot1/trading' && String(e.data.reason).startsWith('promoted'));
    expect(promotedStep?.data).toMatchObject({ old_value: old.fingerprint, new_value: fresh.fingerprint });
    // Nothing of the keys themselves reached the trail.
    const trail = JSON.stringify(eventsOf(h.audit, 'config_change'));
    for (const secret of [old.apiKey, old.secret, fresh.apiKey, fresh.secret]) expect(trail).not.toContain(secret);
  });

  const rotate = (exchange: ExchangeId, account: string, extra: Partial<RotateInput> = {}) =>
    t.client.workflow.start(rotateCredentialWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `rotate/${exchange}/${account}/trading`,
      args: [{ exchange, account, purpose: 'trading', symbols: ['BTC/USDT'], cacheTtlSeconds: 0, reason: 'test', ...extra }],
    });

  it('a staged key with withdrawal rights is rejected: audited, alerted, and the current key stays', async () => {
    const old = await storeCurrent('okx', 'rot2');
    const rotation = await rotate('okx', 'rot2');
    await waitFor(() => rotation.query(rotationStatusQuery), (s) => s.status === 'awaiting_pending', 20_000, 'awaiting a staged key');
    const risky = newKey('okx', 'rot2', { permissions: { withdraw: true } });
    expect((await stageWithCli('okx', 'rot2', risky.json, 'stdin')).code).toBe(0);
    const before = channel.alerts.length;
    const answered = await warden(['rotation', 'staged', 'okx', 'rot2']);
    expect(answered).toMatchObject({ code: 0, stdout: `rotate/okx/rot2/trading: auditing (current ${old.fingerprint}, pending -)\n` });
    const done = await rotation.result();
    expect(done.stagedBy).toMatch(/^cli:/);
    expect(done.status).toBe('rejected');
    expect(done.outcome).toMatch(new RegExp(`^staged key ${risky.fingerprint} REJECTED, the current key stays: Withdrawal permission enabled on OKX! Disable immediately\\.`));
    expect(await smApiKey('okx', 'rot2', 'AWSCURRENT')).toBe(old.apiKey);
    const audited = eventsOf(h.audit, 'key_audit').filter((e) => e.data.account === 'rot2' && e.data.key === 'trading@AWSPENDING');
    expect(audited.map((e) => [e.data.severity, e.data.code])).toEqual([
      ['CRITICAL', 'withdraw_enabled'],
      ['CRITICAL', 'transfer_enabled'],
    ]);
    expect(channel.alerts.slice(before).filter((a) => a.severity === 'CRITICAL').map((a) => a.name)).toEqual(['key_audit_finding']);
    expect(stepsOf('okx', 'rot2').slice(-2)).toEqual(['pending_stored', 'rejected']);
  });

  it('a promoted key that cannot trade is rolled back before anyone revokes the old one', async () => {
    const old = await storeCurrent('bybit', 'rot3');
    const rotation = await rotate('bybit', 'rot3');
    await waitFor(() => rotation.query(rotationStatusQuery), (s) => s.status === 'awaiting_pending', 20_000, 'awaiting a staged key');
    // No read right: nothing the auditor flags, but the account snapshot is refused.
    const blind = newKey('bybit', 'rot3', { permissions: { read: false } });
    expect((await stageWithCli('bybit', 'rot3', blind.json, 'file')).code).toBe(0);
    await rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: 'tg:42' }] });
    const done = await rotation.result();
    expect(done.status).toBe('rolled_back');
    expect(done.outcome).toMatch(new RegExp(`^the new key ${blind.fingerprint} failed verification \\(ExchangeAuth: .*\\); rolled back to ${old.fingerprint}\\. Do NOT revoke the old key$`));
    expect(await smApiKey('bybit', 'rot3', 'AWSCURRENT')).toBe(old.apiKey);
    // The worker reads the restored key again, not a cached new one.
    expect((await secrets.getExchangeCredentials('bybit', 'rot3', 'trading')).apiKey).toBe(old.apiKey);
    expect(stepsOf('bybit', 'rot3').slice(-3)).toEqual(['promoted', 'cache_invalidated', 'rolled_back']);
  });
});
