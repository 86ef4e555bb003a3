import { inject } from 'vitest';
import { createAwsClients, type AwsClients } from '../../adapters/aws';
import { AwsConfig } from '../../config/schema';

/** Clients pointed at the suite's moto server; moto accepts any credentials. */
export function motoClients(): AwsClients {
  const aws = AwsConfig.parse({ region: 'us-east-1', endpoint: inject('motoEndpoint'), forcePathStyle: true });
  return createAwsClients(aws, { accessKeyId: 'testing', secretAccessKey: 'testing' });
}
