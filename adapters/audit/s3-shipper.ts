import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from './events';
import { headMessage, type AuditHeadSigner } from './mac';
import type { AuditShipper } from './trail';

/** Retention per log class (seed section 6): audit 7 years, trading 2 years, debug 90 days. */
export const DEFAULT_RETENTION_DAYS = { audit: 2555, trading: 730, debug: 90 } as const;
export type LogClass = keyof typeof DEFAULT_RETENTION_DAYS;

/** The audit class keeps the seed's `logs/` prefix; the others get their own. */
export function logPrefix(logClass: LogClass): string {
  return logClass === 'audit' ? 'logs' : `${logClass}-logs`;
}

/** Object metadata carrying the head MAC (S3 lowercases metadata names). */
export const HEAD_MAC_METADATA = 'head-mac';

const pad = (n: number) => String(n).padStart(12, '0');

/** `<prefix>/<writer>/<date>/<firstSeq>-<lastSeq>.jsonl`: each writer's chain under its own prefix. */
export function batchKey(prefix: string, writer: string, batch: AuditEvent[]): string {
  const first = batch[0]!;
  const last = batch[batch.length - 1]!;
  return `${prefix}/${writer}/${first.time.slice(0, 10)}/${pad(first.seq)}-${pad(last.seq)}.jsonl`;
}

export const batchBody = (batch: AuditEvent[]): string => batch.map((e) => `${JSON.stringify(e)}\n`).join('');

/**
 * The key already holds other bytes than the batch: another writer, a forger or
 * a bug got there first. Never a delivery; the batch stays spooled and this is alarmed.
 */
export class AuditKeyConflictError extends Error {
  override readonly name = 'AuditKeyConflictError';
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`audit object ${key} already holds different content (${detail}); the batch stays unshipped`);
  }
}

export interface S3ShipperOptions {
  s3: S3Client;
  bucket: string;
  logClass?: LogClass;
  retentionDays?: number;
  now?: () => Date;
  /** MACs each object's head; unset only in unit tests of the chain itself. */
  signer?: AuditHeadSigner;
}

const isNotFound = (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;

/** Writes each batch once, as a JSONL object under a COMPLIANCE lock with server-side encryption and a signed head. */
export class S3AuditShipper implements AuditShipper {
  constructor(private readonly opts: S3ShipperOptions) {}

  async ship(batch: AuditEvent[], writer: string): Promise<string> {
    const logClass = this.opts.logClass ?? 'audit';
    const key = batchKey(logPrefix(logClass), writer, batch);
    const body = batchBody(batch);
    // A crash after the put but before the spool's mark ships the batch again: delivered only if the key holds exactly these bytes.
    const existing = await this.read(key);
    if (existing !== undefined) return this.compare(key, existing, body);
    const last = batch[batch.length - 1]!;
    const mac = this.opts.signer ? await this.opts.signer.mac(headMessage(writer, last.seq, last.hash)) : undefined;
    const days = this.opts.retentionDays ?? DEFAULT_RETENTION_DAYS[logClass];
    const now = this.opts.now?.() ?? new Date();
    try {
      await this.opts.s3.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Body: body,
          // Conditional create: a put racing ours (between the read and here) is found, not overwritten.
          IfNoneMatch: '*',
          ContentType: 'application/x-ndjson',
          ServerSideEncryption: 'AES256',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(now.getTime() + days * 86_400_000),
          ChecksumAlgorithm: 'SHA256',
          Metadata: mac ? { [HEAD_MAC_METADATA]: mac } : undefined,
        }),
      );
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== 'PreconditionFailed' && e.$metadata?.httpStatusCode !== 412) throw err;
      const raced = await this.read(key);
      if (raced === undefined) throw err;
      return this.compare(key, raced, body);
    }
    return key;
  }

  private compare(key: string, found: string, body: string): string {
    if (found === body) return key;
    throw new AuditKeyConflictError(key, `${Buffer.byteLength(found)} bytes found, ${Buffer.byteLength(body)} expected`);
  }

  /** The object's current bytes, or undefined when the key is free. */
  private async read(key: string): Promise<string | undefined> {
    const exists = await this.opts.s3.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key })).then(
      () => true,
      (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => (isNotFound(err) ? false : Promise.reject(err)),
    );
    if (!exists) return undefined;
    const out = await this.opts.s3.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
    return (await out.Body?.transformToString()) ?? '';
  }
}
