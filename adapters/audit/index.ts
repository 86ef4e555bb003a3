import { join } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { WardenConfig } from '../../config/schema';
import type { Logger } from '../logger';
import { KmsHeadSigner } from './mac';
import { S3AuditShipper } from './s3-shipper';
import type { WriterRole } from './spool';
import { AuditTrail, type ShippingTrouble } from './trail';

export type { AuditEvent, AuditEventInput, AuditEventType } from './events';
export type { AuditRecorder, ShippingStatus, ShippingTrouble } from './trail';
export type { WriterRole } from './spool';
export { AuditTrail } from './trail';

/**
 * The desk's audit trail: the spool in the state directory, shipped to the WORM bucket when configured,
 * each object's head MACed with the configured KMS key. `writer` names the chain's kind of process.
 */
export async function openAuditTrail(
  config: WardenConfig,
  deps: { stateDir: string; s3: S3Client; kms: KMSClient; logger: Logger; writer: WriterRole; onShippingTrouble?: (t: ShippingTrouble) => void },
): Promise<AuditTrail> {
  const trail = await AuditTrail.open({
    dir: join(deps.stateDir, 'audit'),
    logger: deps.logger,
    role: deps.writer,
    batchMaxEvents: config.audit.batchMaxEvents,
    onShippingTrouble: deps.onShippingTrouble,
    // Shipped spools keep a bounded window in memory; paper's spool is its whole trail, kept whole.
    maxInMemory: config.audit.shipToS3 ? 20_000 : undefined,
    shipper: config.audit.shipToS3
      ? new S3AuditShipper({
          s3: deps.s3,
          bucket: config.aws.auditBucket,
          logClass: 'audit',
          retentionDays: config.audit.retentionDays.audit,
          signer: new KmsHeadSigner(deps.kms, config.aws.auditMacKeyId),
        })
      : undefined,
  });
  trail.startShipping(config.audit.shipIntervalSeconds * 1000);
  return trail;
}
