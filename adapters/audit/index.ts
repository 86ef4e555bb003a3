import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { WardenConfig } from '../../config/schema';
import type { Logger } from '../logger';
import { S3AuditShipper } from './s3-shipper';
import { AuditTrail } from './trail';

export type { AuditEvent, AuditEventInput, AuditEventType } from './events';
export type { AuditRecorder } from './trail';
export { AuditTrail } from './trail';

/** The desk's audit trail: the spool in the state directory, shipped to the WORM bucket when configured. */
export async function openAuditTrail(config: WardenConfig, deps: { stateDir: string; s3: S3Client; logger: Logger }): Promise<AuditTrail> {
  const trail = await AuditTrail.open({
    dir: join(deps.stateDir, 'audit'),
    logger: deps.logger,
    batchMaxEvents: config.audit.batchMaxEvents,
    shipper: config.audit.shipToS3
      ? new S3AuditShipper({ s3: deps.s3, bucket: config.aws.auditBucket, logClass: 'audit', retentionDays: config.audit.retentionDays.audit })
      : undefined,
  });
  trail.startShipping(config.audit.shipIntervalSeconds * 1000);
  return trail;
}
