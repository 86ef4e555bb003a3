import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initAuditBucket } from '../adapters/audit/bucket';
import { seal } from '../adapters/audit/chain';
import type { AuditEvent, AuditEventInput } from '../adapters/audit/events';
import { S3AuditShipper } from '../adapters/audit/s3-shipper';
import { AuditTrail } from '../adapters/audit/trail';
import { S3ReportStore } from '../adapters/audit/report-store';
import { verifyEvents, verifyS3Trail, type VerifyRange } from '../adapters/audit/verify';
import { startMotoServer, type MotoServer } from '../adapters/moto-server';
import { motoClients } from './helpers/aws';
import { openTempTrail, tempDir } from './helpers/audit';
import { testClock, testNowMs } from './helpers/clock';

const order = (n: number): AuditEventInput => ({
  type: 'order_placed',
  actor: 'session/binance/main',
  data: { exchange: 'binance', account: 'main', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.1, price: 50_000 + n, orderId: `o${n}`, clientOrderId: `c${n}` },
});

const DAY_MS = 86_400_000;
/** Locks are judged by the test clock, the one the shippers computed retain-until from. */
const verify = (s3: S3Client, bucket: string, prefix: string, range: VerifyRange = {}) => verifyS3Trail(s3, bucket, prefix, range, testClock());
/** A day past the test clock: in force for the verifier, and in moto's (real-time) future since the test clock never runs behind. */
const dayLock = () => ({ ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(testNowMs() + DAY_MS) });

async function objectBody(s3: S3Client, Bucket: string, Key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return (await out.Body?.transformToString()) ?? '';
}

describe('audit trail: spool and hash chain', () => {
  it('chains events, writes a retried id once, and survives a reopen', async () => {
    const dir = tempDir();
    const trail = await openTempTrail(undefined, dir);
    const a = await trail.record({ ...order(1), id: 'wf-1/step-1' });
    const again = await trail.record({ ...order(1), id: 'wf-1/step-1' });
    expect(again).toEqual(a);
    const b = await trail.record(order(2));
    expect(b.prevHash).toBe(a.hash);
    expect(b.seq).toBe(2);
    await trail.close();

    const reopened = await AuditTrail.open({ now: testClock, dir });
    expect(await reopened.record({ ...order(1), id: 'wf-1/step-1' })).toEqual(a);
    const c = await reopened.record(order(3));
    expect(c).toMatchObject({ seq: 3, prevHash: b.hash });
    expect(verifyEvents(reopened.events(), 'spool').ok).toBe(true);
    await reopened.close();
  });

  it('acknowledges concurrent writes in one group commit, in order', async () => {
    const trail = await openTempTrail();
    const events = await Promise.all(Array.from({ length: 200 }, (_, i) => trail.record(order(i))));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(verifyEvents(trail.events(), 'spool')).toMatchObject({ ok: true, events: 200 });
    await trail.close();
  });

  it('rejects an invalid event naming the field, and writes nothing', async () => {
    const trail = await openTempTrail();
    const bad = { type: 'config_change', actor: 'admin', data: { parameter: 'max_position_size_pct', old_value: '0.02' } } as unknown as AuditEventInput;
    await expect(trail.record(bad)).rejects.toThrow('invalid audit event config_change: data.new_value: Invalid input: expected string, received undefined');
    expect(trail.events()).toHaveLength(0);
    await trail.close();
  });

  it('drops a torn last line left by a crash mid-write and goes on', async () => {
    const dir = tempDir();
    const trail = await openTempTrail(undefined, dir);
    await trail.record(order(1));
    await trail.close();
    appendFileSync(join(dir, 'spool.jsonl'), '{"seq":2,"id":"torn');
    const reopened = await AuditTrail.open({ now: testClock, dir });
    expect((await reopened.record(order(2))).seq).toBe(2);
    expect(verifyEvents(reopened.events(), 'spool').ok).toBe(true);
    await reopened.close();
  });

  it('paper verify finds a removed or altered event in the spool', async () => {
    const dir = tempDir();
    const trail = await openTempTrail(undefined, dir);
    for (let i = 1; i <= 5; i++) await trail.record(order(i));
    await trail.close();
    const lines = readFileSync(join(dir, 'spool.jsonl'), 'utf8').trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as AuditEvent);
    expect(verifyEvents(events.filter((e) => e.seq !== 3), 'spool').firstBreak).toEqual({
      key: 'spool',
      seq: 3,
      problem: 'sequence gap: expected 3, found 4 (event removed)',
    });
    const altered = events.map((e) => (e.seq === 4 ? { ...e, data: { ...e.data, amount: 10 } } : e));
    expect(verifyEvents(altered, 'spool').firstBreak).toMatchObject({ seq: 4, problem: 'event content does not match its hash (altered)' });
    // Re-hashing the altered event does not help: the next link breaks.
    const resealed = events.map(({ hash, ...e }) => (e.seq === 4 ? seal({ ...e, data: { ...e.data, amount: 10 } }) : { ...e, hash }));
    expect(verifyEvents(resealed, 'spool').firstBreak).toMatchObject({ seq: 5, problem: 'prevHash does not match the previous event (chain broken)' });
  });
});

describe('audit trail shipped to S3 with Object Lock (moto)', () => {
  const { s3 } = motoClients();
  const Bucket = 'warden-audit-test';

  beforeAll(async () => {
    expect(await initAuditBucket(s3, Bucket, 2555)).toMatchObject({ created: true, mode: 'COMPLIANCE' });
  });

  it('init checks an existing locked bucket and refuses one without Object Lock', async () => {
    expect(await initAuditBucket(s3, Bucket, 2555)).toMatchObject({ created: false });
    await s3.send(new CreateBucketCommand({ Bucket: 'plain-bucket' }));
    await expect(initAuditBucket(s3, 'plain-bucket', 2555)).rejects.toThrow(
      'Bucket plain-bucket exists without Object Lock; refusing to use it for audit logs',
    );
  });

  it('ships batches as JSONL under a COMPLIANCE lock with SSE; deleting a version is refused', async () => {
    const shipper = new S3AuditShipper({ s3, now: testClock, bucket: Bucket, retentionDays: 2555 });
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), shipper, batchMaxEvents: 3 });
    for (let i = 1; i <= 7; i++) await trail.record(order(i));
    const before = testNowMs();
    expect(await trail.shipNow()).toBe(7);
    const after = testNowMs();
    expect(trail.pendingCount).toBe(0);

    const day = trail.events()[0]!.time.slice(0, 10);
    const keys = [`logs/${day}/000000000001-000000000003.jsonl`, `logs/${day}/000000000004-000000000006.jsonl`, `logs/${day}/000000000007-000000000007.jsonl`];
    for (const Key of keys) {
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ServerSideEncryption).toBe('AES256');
      // 2555 days (7 years) from the shipper's clock when it shipped; S3 keeps retain-until to the second.
      const retainUntil = head.ObjectLockRetainUntilDate!.getTime();
      expect(retainUntil).toBeGreaterThanOrEqual(before + 2555 * DAY_MS - 1000);
      expect(retainUntil).toBeLessThanOrEqual(after + 2555 * DAY_MS + 1000);
    }
    expect((await objectBody(s3, Bucket, keys[0]!)).trim().split('\n')).toHaveLength(3);

    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: keys[0] }));
    const VersionId = versions.Versions![0]!.VersionId;
    await expect(s3.send(new DeleteObjectCommand({ Bucket, Key: keys[0], VersionId }))).rejects.toMatchObject({ name: 'AccessDenied' });

    expect(await verify(s3, Bucket, 'logs')).toEqual({ ok: true, objects: 3, events: 7 });
    expect(await verify(s3, Bucket, 'logs', { from: day, to: day })).toMatchObject({ ok: true, events: 7 });
    await trail.close();
  });

  it('stores a post-incident report under a COMPLIANCE lock retained from the store clock', async () => {
    const reports = new S3ReportStore({ s3, bucket: Bucket, retentionDays: 2555, now: testClock });
    const before = testNowMs();
    expect(await reports.write('incidents/test/report.md', '# Incident Report')).toBe(`s3://${Bucket}/incidents/test/report.md`);
    const after = testNowMs();
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'incidents/test/report.md' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const retainUntil = head.ObjectLockRetainUntilDate!.getTime();
    expect(retainUntil).toBeGreaterThanOrEqual(before + 2555 * DAY_MS - 1000);
    expect(retainUntil).toBeLessThanOrEqual(after + 2555 * DAY_MS + 1000);
  });

  it('verify names the object and sequence when an object is rewritten with one changed or dropped event', async () => {
    const bucket = 'warden-audit-tamper';
    await initAuditBucket(s3, bucket, 30);
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), shipper: new S3AuditShipper({ s3, now: testClock, bucket, retentionDays: 30 }), batchMaxEvents: 4 });
    for (let i = 1; i <= 8; i++) await trail.record(order(i));
    await trail.shipNow();
    await trail.close();
    const day = trail.events()[0]!.time.slice(0, 10);
    const Key = `logs/${day}/000000000005-000000000008.jsonl`;
    const original = (await objectBody(s3, bucket, Key)).trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);

    // The lock keeps the original version, but a new version can still be written on top.
    const changed = original.map((e) => (e.seq === 6 ? { ...e, data: { ...e.data, amount: 99 } } : e));
    const lock = dayLock();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: changed.map((e) => JSON.stringify(e)).join('\n'), ...lock }));
    const result = await verify(s3, bucket, 'logs');
    expect(result.ok).toBe(false);
    expect(result.firstBreak).toMatchObject({ key: Key, seq: 6 });
    expect(result.firstBreak!.problem).toMatch(/^object was rewritten: version .+ differs from the original$/);

    const bucket2 = 'warden-audit-drop';
    await initAuditBucket(s3, bucket2, 30);
    const t2 = await AuditTrail.open({ now: testClock, dir: tempDir(), shipper: new S3AuditShipper({ s3, now: testClock, bucket: bucket2, retentionDays: 30 }), batchMaxEvents: 4 });
    for (let i = 1; i <= 8; i++) await t2.record(order(i));
    await t2.shipNow();
    await t2.close();
    const original2 = (await objectBody(s3, bucket2, Key)).trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    const dropped = original2.filter((e) => e.seq !== 7);
    await s3.send(new PutObjectCommand({ Bucket: bucket2, Key, Body: dropped.map((e) => JSON.stringify(e)).join('\n'), ...lock }));
    expect((await verify(s3, bucket2, 'logs')).firstBreak).toMatchObject({ key: Key, seq: 7 });
  });

  it('verify catches a batch slipped in under a new key that breaks the chain', async () => {
    const bucket = 'warden-audit-forged';
    await initAuditBucket(s3, bucket, 30);
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), shipper: new S3AuditShipper({ s3, now: testClock, bucket, retentionDays: 30 }), batchMaxEvents: 10 });
    for (let i = 1; i <= 3; i++) await trail.record(order(i));
    await trail.shipNow();
    await trail.close();
    const last = trail.events()[2]!;
    const forged = seal({ ...last, seq: 4, id: 'forged', prevHash: 'f'.repeat(64), hash: undefined } as unknown as Omit<AuditEvent, 'hash'>);
    const day = last.time.slice(0, 10);
    const Key = `logs/${day}/000000000004-000000000004.jsonl`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(forged), ...dayLock() }),
    );
    expect((await verify(s3, bucket, 'logs')).firstBreak).toEqual({ key: Key, seq: 4, problem: 'prevHash does not match the previous event (chain broken)' });
  });
});

describe('audit shipping while S3 is down', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMotoServer();
  });
  afterAll(async () => {
    moto.process.kill('SIGCONT');
    await moto.stop();
  });

  it('keeps events in the spool, survives a restart, and delivers everything when S3 is back', async () => {
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 1000, connectionTimeout: 1000, throwOnRequestTimeout: true },
    });
    const bucket = 'warden-audit-outage';
    await initAuditBucket(s3, bucket, 30);
    const dir = tempDir();
    const shipper = new S3AuditShipper({ s3, now: testClock, bucket, retentionDays: 30 });
    const trail = await AuditTrail.open({ now: testClock, dir, shipper, batchMaxEvents: 5 });
    for (let i = 1; i <= 5; i++) await trail.record(order(i));
    expect(await trail.shipNow()).toBe(5);

    moto.process.kill('SIGSTOP'); // S3 stops answering mid-run.
    for (let i = 6; i <= 12; i++) await trail.record(order(i));
    await expect(trail.shipNow()).rejects.toThrow();
    expect(trail.pendingCount).toBe(7);
    await trail.close(); // The worker restarts while S3 is still down.

    const restarted = await AuditTrail.open({ now: testClock, dir, shipper, batchMaxEvents: 5 });
    expect(restarted.pendingCount).toBe(7);
    await restarted.record(order(13));
    moto.process.kill('SIGCONT');
    expect(await restarted.shipNow()).toBe(8);
    expect(restarted.pendingCount).toBe(0);
    expect(await verify(s3, bucket, 'logs')).toEqual({ ok: true, objects: 3, events: 13 });
    await restarted.close();
  });
});

describe('shipped marker', () => {
  it('a batch shipped but not marked (crash) is not shipped twice', async () => {
    const { s3 } = motoClients();
    const bucket = 'warden-audit-crash';
    await initAuditBucket(s3, bucket, 30);
    const dir = tempDir();
    const shipper = new S3AuditShipper({ s3, now: testClock, bucket, retentionDays: 30 });
    const trail = await AuditTrail.open({ now: testClock, dir, shipper });
    for (let i = 1; i <= 3; i++) await trail.record(order(i));
    await trail.shipNow();
    await trail.close();
    writeFileSync(join(dir, 'shipped.json'), JSON.stringify({ lastShippedSeq: 0 })); // as if the mark was lost
    const again = await AuditTrail.open({ now: testClock, dir, shipper });
    await again.shipNow();
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'logs/' }));
    expect(versions.Versions).toHaveLength(1);
    expect(await verify(s3, bucket, 'logs')).toMatchObject({ ok: true, events: 3 });
    await again.close();
  });
});
