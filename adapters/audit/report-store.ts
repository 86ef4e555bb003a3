import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Post-incident reports in the WORM audit bucket, under the same COMPLIANCE lock as the audit trail. */
export class S3ReportStore {
  constructor(private readonly opts: { s3: S3Client; bucket: string; retentionDays: number; now?: () => Date }) {}

  async write(key: string, markdown: string): Promise<string> {
    const now = this.opts.now?.() ?? new Date();
    await this.opts.s3.send(
      new PutObjectCommand({
        Bucket: this.opts.bucket,
        Key: key,
        Body: markdown,
        ContentType: 'text/markdown; charset=utf-8',
        ServerSideEncryption: 'AES256',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: new Date(now.getTime() + this.opts.retentionDays * 86_400_000),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return `s3://${this.opts.bucket}/${key}`;
  }
}

/** The paper desk keeps reports beside its audit spool. */
export class LocalReportStore {
  constructor(private readonly dir: string) {}

  async write(key: string, markdown: string): Promise<string> {
    const path = join(this.dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, markdown);
    return path;
  }
}
