import { keyFingerprint } from '../adapters/secrets/fingerprint';
import type { ExchangeId } from '../domain/market';
import type { ExchangeCredentials, KeyPurpose } from '../adapters/secrets/types';
import type { ActivityDeps } from './deps';

/** What a workflow may know about a credential: metadata and a fingerprint, never the key or secret. */
export interface CredentialInfo {
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  secretName: string;
  /** See keyFingerprint: tells two keys apart without revealing either. */
  keyFingerprint: string;
  permissions: { read: boolean; trade: boolean; withdraw: boolean; transfer: boolean };
  ipWhitelist: string[];
  createdAt: string;
  rotationDate?: string;
  versionId?: string;
}

/** The metadata of a credential that may enter workflow history: never the key or the secret. */
export function credentialInfo(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose }, c: ExchangeCredentials): CredentialInfo {
  return {
    ...input,
    secretName: c.secretName,
    keyFingerprint: keyFingerprint(c.apiKey),
    permissions: c.permissions,
    ipWhitelist: c.ipWhitelist,
    createdAt: c.createdAt,
    rotationDate: c.rotationDate,
    versionId: c.versionId,
  };
}

export function createCredentialActivities(deps: ActivityDeps) {
  return {
    async describeCredential(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose }): Promise<CredentialInfo> {
      return credentialInfo(input, await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose));
    },
  };
}
