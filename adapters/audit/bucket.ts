import {
  CreateBucketCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface BucketInitResult {
  bucket: string;
  created: boolean;
  mode: string;
  retentionDays: number;
}

/**
 * Creates the audit bucket with Object Lock, versioning and a COMPLIANCE default
 * retention, or checks an existing one. A bucket without Object Lock is refused:
 * it cannot be made WORM afterwards, and logs in it could be rewritten.
 */
export async function initAuditBucket(s3: S3Client, bucket: string, retentionDays: number): Promise<BucketInitResult> {
  const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
      if (err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404) return false;
      throw err;
    },
  );
  let created = false;
  if (!exists) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    created = true;
  } else {
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })).catch(() => undefined);
    if (lock?.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled') {
      throw new Error(`Bucket ${bucket} exists without Object Lock; refusing to use it for audit logs (create a new bucket with Object Lock enabled)`);
    }
  }
  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  if (versioning.Status !== 'Enabled') throw new Error(`Bucket ${bucket} has versioning ${versioning.Status ?? 'off'}; Object Lock needs it enabled`);
  const current = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
  const rule = current.ObjectLockConfiguration?.Rule?.DefaultRetention;
  if (created || rule?.Mode !== 'COMPLIANCE' || rule.Days !== retentionDays) {
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retentionDays } } },
      }),
    );
  }
  return { bucket, created, mode: 'COMPLIANCE', retentionDays };
}
