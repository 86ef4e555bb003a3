import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { motoClients } from './helpers/aws';

describe('AWS emulation (moto) under test', () => {
  const { s3, secrets } = motoClients();

  it('reads a secret back from Secrets Manager at AWSCURRENT', async () => {
    const value = JSON.stringify({ api_key: 'k-123456', secret: 's-abcdef' });
    await secrets.send(new CreateSecretCommand({ Name: 'warden/test/credentials', SecretString: value }));
    const got = await secrets.send(new GetSecretValueCommand({ SecretId: 'warden/test/credentials', VersionStage: 'AWSCURRENT' }));
    expect(got.SecretString).toBe(value);
    expect(got.VersionStages).toContain('AWSCURRENT');
  });

  it('refuses to delete an object version under a COMPLIANCE lock', async () => {
    const Bucket = 'warden-lock-probe';
    await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
    // Real time on purpose: nothing of Warden's runs here, and moto judges the lock by its own (real) clock.
    const retainUntil = new Date(Date.now() + 24 * 3600 * 1000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'logs/probe.jsonl',
        Body: '{"seq":1}\n',
        ServerSideEncryption: 'AES256',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
      }),
    );
    expect(put.VersionId).toBeTruthy();
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'logs/probe.jsonl', VersionId: put.VersionId }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');

    const attempt = s3.send(new DeleteObjectCommand({ Bucket, Key: 'logs/probe.jsonl', VersionId: put.VersionId }));
    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied' });
    const still = await s3.send(new HeadObjectCommand({ Bucket, Key: 'logs/probe.jsonl', VersionId: put.VersionId }));
    expect(still.VersionId).toBe(put.VersionId);
  });
});
