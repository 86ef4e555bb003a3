import { createHash } from 'node:crypto';

/** First 12 hex chars of SHA-256(api key): tells two keys apart without revealing either. */
export function keyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}
