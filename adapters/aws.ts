import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsConfig } from '../config/schema';

export interface AwsClients {
  s3: S3Client;
  secrets: SecretsManagerClient;
  /** Signs audit chain heads (GenerateMac/VerifyMac). */
  kms: KMSClient;
}

/**
 * Endpoint and path style come from config so the same code talks to real AWS
 * or to an emulator. Credentials default to the SDK's provider chain (an
 * instance role in production); tests inject them.
 */
export function createAwsClients(aws: AwsConfig, credentials?: S3ClientConfig['credentials']): AwsClients {
  const common = {
    region: aws.region,
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: 3,
    // A hung endpoint must fail the call (the audit shipper retries later) rather than block forever.
    requestHandler: { requestTimeout: 15_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: aws.forcePathStyle }),
    secrets: new SecretsManagerClient(common),
    kms: new KMSClient(common),
  };
}
