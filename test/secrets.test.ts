import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditTrail } from '../adapters/audit/trail';
import { createSecretsStore, PAPER_SECRETS_FILE, SecretFormatError } from '../adapters/secrets';
import { AwsSecretSource, LocalFileSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { WardenConfig } from '../config/schema';
import { motoClients } from './helpers/aws';
import { openTempTrail, tempDir } from './helpers/audit';

// The seed's structure (section 1), as an operator would store it.
const binanceSecret = {
  api_key: 'AKbinance-live-0001',
  secret: 'SKbinance-live-secret-0001',
  ip_whitelist: ['52.1.2.3', '52.1.2.4'],
  permissions: { read: true, trade: true, withdraw: false, transfer: false },
  created_at: '2025-01-15T00:00:00Z',
  rotation_date: '2025-04-15T00:00:00Z',
};

describe('secrets store on AWS Secrets Manager (moto)', () => {
  const { secrets: sm } = motoClients();
  let audit: AuditTrail;
  let clock = 0;
  let store: CachedSecretsStore;

  beforeAll(async () => {
    audit = await openTempTrail();
    store = new CachedSecretsStore({ source: new AwsSecretSource(sm), prefix: 'warden', ttlSeconds: 60, audit, accessedBy: 'worker-1', now: () => clock });
    await sm.send(new CreateSecretCommand({ Name: 'warden/binance/main/trading', SecretString: JSON.stringify(binanceSecret) }));
    await sm.send(new CreateSecretCommand({ Name: 'warden/okx/main/trading', SecretString: JSON.stringify({ ...binanceSecret, permissions: { read: true, trade: 'yes' } }) }));
    await sm.send(new CreateSecretCommand({ Name: 'warden/bybit/main/trading', SecretString: '{"api_key": "AKbybit-live-0009", ' }));
    await sm.send(new CreateSecretCommand({ Name: 'warden/telegram/bot', SecretString: JSON.stringify({ token: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw' }) }));
  });

  it('round-trips the seed structure', async () => {
    const c = await store.getExchangeCredentials('binance', 'main', 'trading');
    expect(c).toMatchObject({
      secretName: 'warden/binance/main/trading',
      apiKey: binanceSecret.api_key,
      secret: binanceSecret.secret,
      ipWhitelist: ['52.1.2.3', '52.1.2.4'],
      permissions: { read: true, trade: true, withdraw: false, transfer: false },
      createdAt: '2025-01-15T00:00:00Z',
      rotationDate: '2025-04-15T00:00:00Z',
    });
    expect(c.versionId).toBeTruthy();
    expect(await store.getTelegramToken()).toBe('123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
  });

  it('names the secret and the field of a malformed secret, never the value', async () => {
    const err = await store.getExchangeCredentials('okx', 'main', 'trading').catch((e: Error) => e);
    expect(err).toBeInstanceOf(SecretFormatError);
    expect((err as Error).message).toBe(
      'Secret warden/okx/main/trading is malformed: permissions.trade: Invalid input: expected boolean, received string; permissions.withdraw: Invalid input: expected boolean, received undefined; permissions.transfer: Invalid input: expected boolean, received undefined',
    );
    const bad = await store.getExchangeCredentials('bybit', 'main', 'trading').catch((e: Error) => e);
    expect((bad as Error).message).toBe('Secret warden/bybit/main/trading is malformed: value is not valid JSON');
    expect((bad as Error).message).not.toContain('AKbybit');
  });

  it('caches for the TTL, refetches after it, and drops the cache on invalidate', async () => {
    const reads = () => audit.events().filter((e) => e.type === 'secret_access' && e.data.secret_name === 'warden/binance/main/trading').length;
    store.invalidate();
    const before = reads();
    await store.getExchangeCredentials('binance', 'main', 'trading');
    await store.getExchangeCredentials('binance', 'main', 'trading');
    expect(reads()).toBe(before + 1);

    await sm.send(new PutSecretValueCommand({ SecretId: 'warden/binance/main/trading', SecretString: JSON.stringify({ ...binanceSecret, api_key: 'AKbinance-live-0002' }) }));
    expect((await store.getExchangeCredentials('binance', 'main', 'trading')).apiKey).toBe('AKbinance-live-0001');
    store.invalidate('warden/binance/main/trading');
    expect((await store.getExchangeCredentials('binance', 'main', 'trading')).apiKey).toBe('AKbinance-live-0002');
    clock += 61_000;
    await store.getExchangeCredentials('binance', 'main', 'trading');
    expect(reads()).toBe(before + 3);
  });

  it('audits every read, successful or not, without the value', async () => {
    await store.getExchangeCredentials('binance', 'nope', 'monitoring').catch(() => undefined);
    const accesses = audit.events().filter((e) => e.type === 'secret_access');
    expect(accesses.find((e) => e.data.secret_name === 'warden/binance/nope/monitoring')?.data).toMatchObject({
      purpose: 'monitoring',
      accessed_by: 'worker-1',
      success: false,
    });
    expect(accesses.find((e) => e.data.secret_name === 'warden/binance/main/trading')?.data).toMatchObject({ success: true });
    const everything = JSON.stringify(audit.events());
    for (const value of [binanceSecret.api_key, binanceSecret.secret, 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw']) expect(everything).not.toContain(value);
  });
});

describe('paper secrets file', () => {
  it('serves simulator keys in the paper profile', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, PAPER_SECRETS_FILE), JSON.stringify({ 'warden/okx/paper/trading': { ...binanceSecret, passphrase: 'sim-pass' } }));
    const store = createSecretsStore(WardenConfig.parse({ profile: 'paper', secrets: { provider: 'local-file' } }), {
      stateDir: dir,
      secretsClient: motoClients().secrets,
      audit: await openTempTrail(),
      accessedBy: 't',
    });
    expect((await store.getExchangeCredentials('okx', 'paper', 'trading')).passphrase).toBe('sim-pass');
  });

  it('is refused by the production profile', () => {
    expect(() => new LocalFileSecretSource('/tmp/x.json', 'production')).toThrow(
      'The local secrets file is for paper trading only; production reads AWS Secrets Manager',
    );
  });
});
