import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../adapters/secrets/fingerprint';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import { AwsSecretRotator, LocalFileSecretRotator, stageExchangeSecret } from '../adapters/secrets/rotation';
import { LocalFileSecretSource } from '../adapters/secrets/sources';
import { SecretFormatError, SecretNotFoundError } from '../adapters/secrets/types';
import { motoClients } from './helpers/aws';
import { tempDir } from './helpers/audit';

const value = (apiKey: string) => ({
  api_key: apiKey,
  secret: `${apiKey}-secret`,
  ip_whitelist: ['52.1.2.3'],
  permissions: { read: true, trade: true, withdraw: false, transfer: false },
  created_at: '2026-01-01T00:00:00Z',
});

describe('rotation writes on Secrets Manager (moto)', () => {
  const { secrets: sm } = motoClients();
  const rotator = new AwsSecretRotator(sm);
  const read = async (name: string, VersionStage: string) =>
    (JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage }))).SecretString!) as { api_key: string }).api_key;

  it('stages AWSPENDING beside the current key, promotes it (idempotently), and rolls back to AWSPREVIOUS', async () => {
    const name = 'warden/binance/store1/trading';
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value('AKold0001')) }));
    const staged = await stageExchangeSecret(rotator, name, JSON.stringify(value('AKnew0002')));
    expect(staged.keyFingerprint).toBe(keyFingerprint('AKnew0002'));
    expect(await read(name, 'AWSPENDING')).toBe('AKnew0002');
    expect(await read(name, 'AWSCURRENT')).toBe('AKold0001');

    const audited = { versionId: staged.versionId, keyFingerprint: staged.keyFingerprint };
    const promoted = await rotator.promote(name, audited);
    expect(promoted.currentVersionId).toBe(staged.versionId);
    expect(await read(name, 'AWSCURRENT')).toBe('AKnew0002');
    expect(await read(name, 'AWSPREVIOUS')).toBe('AKold0001');
    // The pending label is gone, so the next rotation starts clean.
    await expect(read(name, 'AWSPENDING')).rejects.toThrow();
    // A retried promotion (its first answer lost) changes nothing.
    expect((await rotator.promote(name, audited)).currentVersionId).toBe(staged.versionId);
    expect(await read(name, 'AWSCURRENT')).toBe('AKnew0002');

    await rotator.rollback(name);
    expect(await read(name, 'AWSCURRENT')).toBe('AKold0001');
    expect((await rotator.dates(name)).createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('refuses to promote a version that is no longer the staged one', async () => {
    const name = 'warden/okx/store2/trading';
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value('AKold0003')) }));
    const first = await stageExchangeSecret(rotator, name, JSON.stringify(value('AKnew0004')));
    await stageExchangeSecret(rotator, name, JSON.stringify(value('AKnew0005')));
    await expect(rotator.promote(name, { versionId: first.versionId, keyFingerprint: first.keyFingerprint })).rejects.toMatchObject({ name: 'RotationStateError' });
    expect(await read(name, 'AWSCURRENT')).toBe('AKold0003');
  });

  it('validates the value against the seed structure, naming fields and never values, and needs an existing secret', async () => {
    const err = await stageExchangeSecret(rotator, 'warden/bybit/store3/trading', JSON.stringify({ ...value('AKsecretvalue9'), permissions: { read: true } })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SecretFormatError);
    expect((err as Error).message).toMatch(/^Secret warden\/bybit\/store3\/trading is malformed: permissions\.trade: /);
    expect((err as Error).message).not.toContain('AKsecretvalue9');
    await expect(stageExchangeSecret(rotator, 'warden/bybit/store3/trading', JSON.stringify(value('AKnew0006')))).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});

describe('rotation writes on the paper secrets file', () => {
  it('stages under #AWSPENDING, promotes over the current entry keeping #AWSPREVIOUS, and rolls back', async () => {
    const dir = tempDir();
    const path = join(dir, PAPER_SECRETS_FILE);
    const name = 'warden/binance/paper/trading';
    writeFileSync(path, JSON.stringify({ [name]: value('AKpaperold1') }));
    const rotator = new LocalFileSecretRotator(path, 'paper');
    const source = new LocalFileSecretSource(path, 'paper');
    const apiKey = async (stage: 'AWSCURRENT' | 'AWSPENDING') => (JSON.parse((await source.fetch(name, stage)).text!) as { api_key: string }).api_key;

    const staged = await stageExchangeSecret(rotator, name, JSON.stringify(value('AKpapernew2')));
    expect(await apiKey('AWSPENDING')).toBe('AKpapernew2');
    expect(await apiKey('AWSCURRENT')).toBe('AKpaperold1');
    await rotator.promote(name, { keyFingerprint: staged.keyFingerprint });
    expect(await apiKey('AWSCURRENT')).toBe('AKpapernew2');
    await expect(source.fetch(name, 'AWSPENDING')).rejects.toBeInstanceOf(SecretNotFoundError);
    await rotator.promote(name, { keyFingerprint: staged.keyFingerprint });
    expect(await apiKey('AWSCURRENT')).toBe('AKpapernew2');
    await rotator.rollback(name);
    expect(await apiKey('AWSCURRENT')).toBe('AKpaperold1');
    expect(() => new LocalFileSecretRotator(path, 'production')).toThrow(/paper trading only/);
  });
});
