import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from './events';
import type { AuditShipper } from './trail';

/** Retention per log class (seed section 6): audit 7 years, trading 2 years, debug 90 days. */
export const DEFAULT_RETENTION_DAYS = { audit: 2555, trading: 730, debug: 90 } as const;
export type LogClass = keyof typeof DEFAULT_RETENTION_DAYS;

/** The audit class keeps the seed's `logs/` prefix; the others get their own. */
export function logPrefix(logClass: LogClass): string {
  return logClass === 'audit' ? 'logs' : `${logClass}-logs`;
}

const pad = (n: number) => String(n).padStart(12, '0');

export function batchKey(prefix: string, batch: AuditEvent[]): string {
  const first = batch[0]!;
  const last = batch[batch.length - 1]!;
  return `${prefix}/${first.time.slice(0, 10)}/${pad(first.seq)}-${pad(last.seq)}.jsonl`;
}

export interface S3ShipperOptions {
  s3: S3Client;
  bucket: string;
  logClass?: LogClass;
  retentionDays?: number;
  now?: () => Date;
}

/** Writes each batch once, as a JSONL object under a COMPLIANCE lock with server-side encryption. */
export class S3AuditShipper implements AuditShipper {
  constructor(private readonly opts: S3ShipperOptions) {}

  async ship(batch: AuditEvent[]): Promise<string> {
    const logClass = this.opts.logClass ?? 'audit';
    const key = batchKey(logPrefix(logClass), batch);
    // A crash after the put but before the spool's mark would ship the batch again:
    // the same key already there means it was delivered, and a second version would look like tampering.
    const exists = await this.opts.s3.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key })).then(
      () => true,
      (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
        if (err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404) return false;
        throw err;
      },
    );
    if (exists) return key;
    const days = this.opts.retentionDays ?? DEFAULT_RETENTION_DAYS[logClass];
    const now = this.opts.now?.() ?? new Date();
    await this.opts.s3.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: key,
        Body: batch.map((e) => `${JSON.stringify(e)}\n`).join(''),
        ContentType: 'application/x-ndjson',
        ServerSideEncryption: 'AES256',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: new Date(now.getTime() + days * 86_400_000),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return key;
  }
}
