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
import { KmsHeadSigner, initAuditMacKey } from '../adapters/audit/mac';
import { AuditKeyConflictError, S3AuditShipper } from '../adapters/audit/s3-shipper';
import { AuditTrail, type ShippingTrouble } from '../adapters/audit/trail';
import { createMetrics } from '../adapters/metrics';
import { shippingAlert } from '../workers/audit-alerts';
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
const MAC_KEY = 'alias/warden-audit-mac';
/** Locks are judged by the test clock, the one the shippers computed retain-until from; heads by the moto KMS key when given. */
const verify = (s3: S3Client, bucket: string, prefix: string, range: VerifyRange = {}, signer?: KmsHeadSigner) =>
  verifyS3Trail(s3, bucket, prefix, { range, now: testClock(), signer });
/** The verdict without the per-writer detail. */
const summary = (r: { ok: boolean; objects: number; events: number }) => ({ ok: r.ok, objects: r.objects, events: r.events });
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
    const w = `logs/${trail.writer}/${day}`;
    const keys = [`${w}/000000000001-000000000003.jsonl`, `${w}/000000000004-000000000006.jsonl`, `${w}/000000000007-000000000007.jsonl`];
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

    expect(summary(await verify(s3, Bucket, 'logs'))).toEqual({ ok: true, objects: 3, events: 7 });
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
    const Key = `logs/${trail.writer}/${day}/000000000005-000000000008.jsonl`;
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
    const Key2 = `logs/${t2.writer}/${day}/000000000005-000000000008.jsonl`;
    const original2 = (await objectBody(s3, bucket2, Key2)).trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    const dropped = original2.filter((e) => e.seq !== 7);
    await s3.send(new PutObjectCommand({ Bucket: bucket2, Key: Key2, Body: dropped.map((e) => JSON.stringify(e)).join('\n'), ...lock }));
    expect((await verify(s3, bucket2, 'logs')).firstBreak).toMatchObject({ key: Key2, seq: 7 });
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
    const Key = `logs/${trail.writer}/${day}/000000000004-000000000004.jsonl`;
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
    expect(summary(await verify(s3, bucket, 'logs'))).toEqual({ ok: true, objects: 3, events: 13 });
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

describe('per-writer chains, signed heads and delivery by content (moto S3 + KMS)', () => {
  const { s3, kms } = motoClients();
  const signer = new KmsHeadSigner(kms, MAC_KEY);
  const shipperFor = (bucket: string) => new S3AuditShipper({ s3, now: testClock, bucket, retentionDays: 30, signer });

  beforeAll(async () => {
    expect(await initAuditMacKey(kms, MAC_KEY, true)).toEqual({ keyId: MAC_KEY, created: true });
    expect(await initAuditMacKey(kms, MAC_KEY, false)).toEqual({ keyId: MAC_KEY, created: false });
  });

  it('init refuses to create a missing key when not allowed, and a key of the wrong kind', async () => {
    await expect(initAuditMacKey(kms, 'alias/absent', false)).rejects.toThrow('KMS key alias/absent for audit head MACs does not exist');
  });

  it('keeps a writer id per spool across restarts, starting with its role', async () => {
    const dir = tempDir();
    const a = await AuditTrail.open({ dir, role: 'bot', now: testClock });
    await a.close();
    const b = await AuditTrail.open({ dir, role: 'bot', now: testClock });
    expect(b.writer).toBe(a.writer);
    expect(b.writer).toMatch(/^bot-[a-z0-9-]+-[a-f0-9]{8}$/);
    await b.close();
    const other = await AuditTrail.open({ dir: tempDir(), role: 'bot', now: testClock });
    expect(other.writer).not.toBe(a.writer);
    await other.close();
  });

  it('two workers, the bot and the CLI ship concurrently; every chain verifies under its own prefix', async () => {
    const bucket = 'warden-audit-writers';
    await initAuditBucket(s3, bucket, 30);
    const trails = await Promise.all(
      (['worker', 'worker', 'bot', 'cli'] as const).map((role) => AuditTrail.open({ now: testClock, dir: tempDir(), role, shipper: shipperFor(bucket), batchMaxEvents: 2 })),
    );
    // Each starts at seq 1: under shared keys they would have collided (and been dropped as "delivered").
    await Promise.all(trails.map(async (t) => Promise.all(Array.from({ length: 5 }, (_, i) => t.record(order(i))))));
    await Promise.all(trails.map((t) => t.shipNow()));
    const result = await verify(s3, bucket, 'logs', {}, signer);
    expect(summary(result)).toEqual({ ok: true, objects: 12, events: 20 });
    expect(result.chains!.map((c) => c.writer).sort()).toEqual(trails.map((t) => t.writer).sort());
    expect(result.chains!.every((c) => c.ok && c.signed && c.events === 5)).toBe(true);
    await Promise.all(trails.map((t) => t.close()));
  });

  it('a forged event at the next key, correctly chained, fails on its head MAC and is named with its writer', async () => {
    const bucket = 'warden-audit-mac-forged';
    await initAuditBucket(s3, bucket, 30);
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), role: 'bot', shipper: shipperFor(bucket) });
    for (let i = 1; i <= 3; i++) await trail.record(order(i));
    await trail.shipNow();
    const last = trail.events()[2]!;
    // Someone with PutObject (not kms:GenerateMac) appends a "$90,000 approve" that links to the real head.
    const forgedBody: Omit<AuditEvent, 'hash'> = {
      seq: 4,
      id: 'forged',
      time: last.time,
      type: 'operator_command',
      actor: 'cli:mallory',
      host: last.host,
      data: { operator: 'cli:mallory', channel: 'cli', command: 'approve rb-1 90000', outcome: 'accepted' },
      prevHash: last.hash,
    };
    const forged = seal(forgedBody);
    const Key = `logs/${trail.writer}/${last.time.slice(0, 10)}/000000000004-000000000004.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `${JSON.stringify(forged)}\n`, ...dayLock() }));
    // The hash chain alone accepts it...
    expect((await verify(s3, bucket, 'logs')).ok).toBe(true);
    // ...the signed heads do not.
    const result = await verify(s3, bucket, 'logs', {}, signer);
    expect(result.ok).toBe(false);
    expect(result.chains).toEqual([expect.objectContaining({ writer: trail.writer, ok: false, firstBreak: { key: Key, seq: 4, problem: 'object carries no head MAC (not written by a desk writer)' } })]);

    // A MAC copied from a real object does not fit another head.
    const realKey = `logs/${trail.writer}/${last.time.slice(0, 10)}/000000000001-000000000003.jsonl`;
    const realMac = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: realKey }))).Metadata!['head-mac']!;
    const bucket2 = 'warden-audit-mac-copied';
    await initAuditBucket(s3, bucket2, 30);
    const t2 = await AuditTrail.open({ now: testClock, dir: tempDir(), role: 'bot', shipper: shipperFor(bucket2) });
    for (let i = 1; i <= 3; i++) await t2.record(order(i));
    await t2.shipNow();
    const l2 = t2.events()[2]!;
    const forged2 = seal({ ...forgedBody, prevHash: l2.hash });
    const Key2 = `logs/${t2.writer}/${l2.time.slice(0, 10)}/000000000004-000000000004.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket2, Key: Key2, Body: `${JSON.stringify(forged2)}\n`, Metadata: { 'head-mac': realMac }, ...dayLock() }));
    expect((await verify(s3, bucket2, 'logs', {}, signer)).firstBreak).toEqual({ key: Key2, seq: 4, problem: 'head MAC does not verify (forged object)' });

    // The real event 4 then meets the forged key: an alarm, never a delivery.
    await expect(trail.record({ ...order(4) })).resolves.toMatchObject({ seq: 4 });
    await expect(trail.shipNow()).rejects.toBeInstanceOf(AuditKeyConflictError);
    expect(trail.pendingCount).toBe(1);
    await trail.close();
    await t2.close();
  });

  it('a delete marker put over an object (allowed under Object Lock, it hides the version) is named', async () => {
    const bucket = 'warden-audit-delete-marker';
    await initAuditBucket(s3, bucket, 30);
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), role: 'worker', shipper: shipperFor(bucket), batchMaxEvents: 2 });
    for (let i = 1; i <= 4; i++) await trail.record(order(i));
    await trail.shipNow();
    expect((await verify(s3, bucket, 'logs', {}, signer)).ok).toBe(true);
    const Key = `logs/${trail.writer}/${trail.events()[0]!.time.slice(0, 10)}/000000000001-000000000002.jsonl`;
    // No VersionId: S3 writes a delete marker instead of deleting, and a plain GET now answers 404.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    const result = await verify(s3, bucket, 'logs', {}, signer);
    expect(result.ok).toBe(false);
    expect(result.chains).toEqual([expect.objectContaining({ writer: trail.writer, ok: false, firstBreak: { key: Key, problem: 'a delete marker hides this object' } })]);
    await trail.close();
  });

  it('a key that already holds other bytes is an alarm: the batch stays unshipped, the trouble is reported and counted', async () => {
    const bucket = 'warden-audit-conflict';
    await initAuditBucket(s3, bucket, 30);
    const troubles: ShippingTrouble[] = [];
    const dir = tempDir();
    const trail = await AuditTrail.open({ now: testClock, dir, role: 'worker', shipper: shipperFor(bucket), onShippingTrouble: (t) => troubles.push(t) });
    const e1 = await trail.record(order(1));
    const Key = `logs/${trail.writer}/${e1.time.slice(0, 10)}/000000000001-000000000001.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{"seq":1,"other":"content"}\n', ...dayLock() }));
    const err = await trail.shipNow().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditKeyConflictError);
    expect((err as AuditKeyConflictError).key).toBe(Key);
    expect(trail.pendingCount).toBe(1);
    expect(troubles).toEqual([expect.objectContaining({ kind: 'conflict', key: Key, writer: trail.writer, unshipped: 1 })]);
    expect(shippingAlert(troubles[0]!)).toMatchObject({ name: 'audit_shipping', severity: 'CRITICAL' });
    const metrics = createMetrics();
    metrics.watchAudit(() => trail.shippingStatus());
    expect(await metrics.registry.getSingleMetricAsString('warden_audit_key_conflicts')).toContain('warden_audit_key_conflicts 1');
    await trail.close();
    // A restart does not forget: still unshipped, still refused.
    const again = await AuditTrail.open({ now: testClock, dir, role: 'worker', shipper: shipperFor(bucket) });
    await expect(again.shipNow()).rejects.toBeInstanceOf(AuditKeyConflictError);
    expect(again.pendingCount).toBe(1);
    await again.close();
  });

  it('verify reads legacy objects under logs/<date>/ as one unsigned chain beside the writers', async () => {
    const bucket = 'warden-audit-legacy';
    await initAuditBucket(s3, bucket, 30);
    const events: AuditEvent[] = [];
    let prev = { seq: 0, hash: '0'.repeat(64) };
    for (let i = 1; i <= 2; i++) {
      const e = seal({ seq: i, id: `l${i}`, time: new Date(testNowMs()).toISOString(), type: 'order_placed', actor: 'x', host: 'h', data: order(i).data as Record<string, unknown>, prevHash: prev.hash });
      events.push(e);
      prev = { seq: e.seq, hash: e.hash };
    }
    const day = events[0]!.time.slice(0, 10);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `logs/${day}/000000000001-000000000002.jsonl`, Body: events.map((e) => `${JSON.stringify(e)}\n`).join(''), ...dayLock() }));
    const trail = await AuditTrail.open({ now: testClock, dir: tempDir(), role: 'cli', shipper: shipperFor(bucket) });
    await trail.record(order(1));
    await trail.shipNow();
    const result = await verify(s3, bucket, 'logs', {}, signer);
    expect(result.ok).toBe(true);
    expect(result.chains!.map((c) => [c.writer, c.signed, c.events])).toEqual([
      ['legacy', false, 2],
      [trail.writer, true, 1],
    ]);
    await trail.close();

    // A spool from before per-writer keys (events 1-2 shipped to the legacy keys) goes on under its new prefix, continuing the legacy chain.
    const old = tempDir();
    writeFileSync(join(old, 'spool.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    writeFileSync(join(old, 'shipped.json'), JSON.stringify({ lastShippedSeq: 2 }));
    const upgraded = await AuditTrail.open({ now: testClock, dir: old, role: 'worker', shipper: shipperFor(bucket) });
    expect(await upgraded.record(order(3))).toMatchObject({ seq: 3, prevHash: events[1]!.hash });
    expect(await upgraded.shipNow()).toBe(1);
    const after = await verify(s3, bucket, 'logs', {}, signer);
    expect(after.ok).toBe(true);
    expect(after.chains!.find((c) => c.writer === upgraded.writer)).toMatchObject({ ok: true, events: 1 });
    await upgraded.close();

    // A chain that starts mid-way without continuing the legacy head has lost its beginning.
    const bucket2 = 'warden-audit-legacy-cut';
    await initAuditBucket(s3, bucket2, 30);
    const cut = tempDir();
    writeFileSync(join(cut, 'spool.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    writeFileSync(join(cut, 'shipped.json'), JSON.stringify({ lastShippedSeq: 2 }));
    const orphan = await AuditTrail.open({ now: testClock, dir: cut, role: 'worker', shipper: shipperFor(bucket2) });
    await orphan.record(order(3));
    await orphan.shipNow();
    expect((await verify(s3, bucket2, 'logs', {}, signer)).firstBreak).toMatchObject({ seq: 1, problem: 'sequence gap: expected 1, found 3 (event removed)' });
    await orphan.close();
  });

  it('compaction keeps the spool small and the chain continuous across restarts and S3', async () => {
    const bucket = 'warden-audit-compact';
    await initAuditBucket(s3, bucket, 30);
    const dir = tempDir();
    const opts = { now: testClock, dir, role: 'worker' as const, shipper: shipperFor(bucket), batchMaxEvents: 5, compactAfterShipped: 10, keepShipped: 2 };
    const trail = await AuditTrail.open(opts);
    for (let i = 1; i <= 12; i++) await trail.record(order(i));
    await trail.shipNow();
    // Once 10 were shipped (second batch) all but the last 2 of them went, behind a head line; 11-12 came after.
    const lines = readFileSync(join(dir, 'spool.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[0]!)).toEqual({ $head: { seq: 8, hash: expect.any(String) } });
    expect(trail.events().map((e) => e.seq)).toEqual([9, 10, 11, 12]);
    await trail.close();
    const reopened = await AuditTrail.open(opts);
    expect(reopened.head.seq).toBe(12);
    expect(verifyEvents(reopened.events(), 'spool', reopened.base).ok).toBe(true);
    const next = await reopened.record(order(13));
    expect(next).toMatchObject({ seq: 13, prevHash: trail.events()[3]!.hash });
    await reopened.shipNow();
    expect(summary(await verify(s3, bucket, 'logs', {}, signer))).toEqual({ ok: true, objects: 4, events: 13 });
    await reopened.close();
  });
});

describe('visible outages', () => {
  it('reports an outage once past the threshold, shows it in the gauges, and reports the recovery', async () => {
    let down = true;
    const shipped: AuditEvent[][] = [];
    const shipper = { ship: async (batch: AuditEvent[]) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : (shipped.push(batch), 'k')) };
    const troubles: ShippingTrouble[] = [];
    let nowMs = testNowMs();
    const trail = await AuditTrail.open({ dir: tempDir(), shipper, now: () => new Date(nowMs), troubleAfterFailures: 3, troubleAfterMs: 300_000, onShippingTrouble: (t) => troubles.push(t) });
    const metrics = createMetrics();
    metrics.watchAudit(() => trail.shippingStatus());
    for (let i = 1; i <= 4; i++) await trail.record(order(i));
    nowMs += 90_000;
    for (let attempt = 1; attempt <= 2; attempt++) await expect(trail.shipNow()).rejects.toThrow('ECONNREFUSED');
    expect(troubles).toEqual([]);
    await expect(trail.shipNow()).rejects.toThrow('ECONNREFUSED');
    await expect(trail.shipNow()).rejects.toThrow('ECONNREFUSED');
    expect(troubles).toEqual([expect.objectContaining({ kind: 'outage', failures: 3, unshipped: 4, error: 'connect ECONNREFUSED' })]);
    expect(shippingAlert(troubles[0]!)).toMatchObject({ name: 'audit_shipping', severity: 'WARNING' });
    expect(await metrics.registry.getSingleMetricAsString('warden_audit_unshipped_events')).toContain('warden_audit_unshipped_events 4');
    expect(await metrics.registry.getSingleMetricAsString('warden_audit_oldest_unshipped_seconds')).toContain('warden_audit_oldest_unshipped_seconds 90');
    expect(await metrics.registry.getSingleMetricAsString('warden_audit_ship_consecutive_failures')).toContain('warden_audit_ship_consecutive_failures 4');
    down = false;
    expect(await trail.shipNow()).toBe(4);
    expect(troubles[1]).toMatchObject({ kind: 'recovered', failures: 4 });
    expect(await metrics.registry.getSingleMetricAsString('warden_audit_unshipped_events')).toContain('warden_audit_unshipped_events 0');
    await trail.close();
  });

  it('a long outage is reported by its duration even with few attempts', async () => {
    const troubles: ShippingTrouble[] = [];
    let nowMs = testNowMs();
    const shipper = { ship: () => Promise.reject(new Error('timeout')) };
    const trail = await AuditTrail.open({ dir: tempDir(), shipper, now: () => new Date(nowMs), troubleAfterFailures: 100, troubleAfterMs: 300_000, onShippingTrouble: (t) => troubles.push(t) });
    await trail.record(order(1));
    await expect(trail.shipNow()).rejects.toThrow();
    nowMs += 301_000;
    await expect(trail.shipNow()).rejects.toThrow();
    expect(troubles).toEqual([expect.objectContaining({ kind: 'outage', failures: 2, sinceMs: 301_000 })]);
    await trail.close();
  });
});

describe('bounded memory during an outage', () => {
  it('holds only a window of events in memory, ships the older ones from the file, in order, after a restart too', async () => {
    let down = true;
    const shipped: AuditEvent[] = [];
    const shipper = { ship: async (batch: AuditEvent[]) => (down ? Promise.reject(new Error('S3 down')) : (shipped.push(...batch), 'k')) };
    let nowMs = testNowMs();
    const dir = tempDir();
    const opts = { dir, shipper, now: () => new Date(nowMs), maxInMemory: 5, batchMaxEvents: 4, compactAfterShipped: 5, keepShipped: 2 };
    const trail = await AuditTrail.open(opts);
    const first = await trail.record(order(1));
    nowMs += 60_000;
    for (let i = 2; i <= 20; i++) await trail.record(order(i));
    await expect(trail.shipNow()).rejects.toThrow('S3 down');
    expect(trail.events().map((e) => e.seq)).toEqual([16, 17, 18, 19, 20]);
    expect(trail.shippingStatus()).toMatchObject({ unshipped: 20, oldestUnshippedSeconds: 60 });
    // Retried ids are remembered for the window only, and a retry inside it is still a no-op.
    expect(await trail.record({ ...order(20), id: trail.events()[4]!.id })).toEqual(trail.events()[4]);
    await trail.close();

    const restarted = await AuditTrail.open(opts);
    expect(restarted.events()).toHaveLength(5);
    expect(restarted.shippingStatus()).toMatchObject({ unshipped: 20 });
    down = false;
    expect(await restarted.shipNow()).toBe(20);
    expect(shipped.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(shipped[0]).toEqual(first);
    expect(verifyEvents(shipped, 'shipped').ok).toBe(true);
    // Shipped, the file was compacted down to the head line and the last kept events.
    expect(readFileSync(join(dir, 'spool.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const next = await restarted.record(order(21));
    expect(next.prevHash).toBe(shipped[19]!.hash);
    await restarted.close();
  });
});
