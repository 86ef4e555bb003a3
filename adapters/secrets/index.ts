import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { WardenConfig } from '../../config/schema';
import type { AuditRecorder } from '../audit/trail';
import { AwsSecretSource, LocalFileSecretSource } from './sources';
import { CachedSecretsStore } from './store';
import type { SecretsStore } from './types';

export * from './types';

export const PAPER_SECRETS_FILE = 'paper-secrets.json';

/** The configured store: Secrets Manager, or (paper only) the state directory's file. */
export function createSecretsStore(
  config: WardenConfig,
  deps: { stateDir: string; secretsClient: SecretsManagerClient; audit: AuditRecorder; accessedBy: string },
): SecretsStore {
  const source =
    config.secrets.provider === 'aws'
      ? new AwsSecretSource(deps.secretsClient)
      : new LocalFileSecretSource(join(deps.stateDir, PAPER_SECRETS_FILE), config.profile);
  return new CachedSecretsStore({
    source,
    prefix: config.aws.secretsPrefix,
    ttlSeconds: config.secrets.cacheTtlSeconds,
    audit: deps.audit,
    accessedBy: deps.accessedBy,
  });
}
