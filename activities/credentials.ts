import { createHash } from 'node:crypto';
import type { ExchangeId } from '../config/schema';
import type { KeyPurpose } from '../adapters/secrets/types';
import type { ActivityDeps } from './deps';

/** What a workflow may know about a credential: metadata and a fingerprint, never the key or secret. */
export interface CredentialInfo {
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  secretName: string;
  /** First 12 hex chars of SHA-256(api key): tells two keys apart without revealing either. */
  keyFingerprint: string;
  permissions: { read: boolean; trade: boolean; withdraw: boolean; transfer: boolean };
  ipWhitelist: string[];
  createdAt: string;
  rotationDate?: string;
  versionId?: string;
}

export function fingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}

export function createCredentialActivities(deps: ActivityDeps) {
  return {
    async describeCredential(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose }): Promise<CredentialInfo> {
      const c = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose);
      return {
        ...input,
        secretName: c.secretName,
        keyFingerprint: fingerprint(c.apiKey),
        permissions: c.permissions,
        ipWhitelist: c.ipWhitelist,
        createdAt: c.createdAt,
        rotationDate: c.rotationDate,
        versionId: c.versionId,
      };
    },
  };
}
