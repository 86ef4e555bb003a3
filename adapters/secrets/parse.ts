import type { z } from 'zod';
import { registerSecret } from '../redact';
import { ExchangeCredentialSecret, SecretFormatError, type ExchangeCredentials } from './types';

/**
 * Parses a secret's JSON text against its schema. Errors name the secret and the
 * field, never the value: zod's messages describe types, and JSON syntax errors
 * (which quote the input) are replaced by a fixed message.
 */
export function parseSecret<T extends z.ZodType>(secretName: string, text: string | undefined, schema: T): z.infer<T> {
  if (!text) throw new SecretFormatError(secretName, ['value is empty']);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SecretFormatError(secretName, ['value is not valid JSON']);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new SecretFormatError(
      secretName,
      parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return parsed.data as z.infer<T>;
}

export function toExchangeCredentials(secretName: string, text: string | undefined, versionId?: string): ExchangeCredentials {
  const s = parseSecret(secretName, text, ExchangeCredentialSecret);
  // From here on, any log line or error that quotes these values is scrubbed.
  registerSecret(s.api_key);
  registerSecret(s.secret);
  registerSecret(s.passphrase);
  return {
    secretName,
    apiKey: s.api_key,
    secret: s.secret,
    passphrase: s.passphrase,
    ipWhitelist: s.ip_whitelist,
    permissions: s.permissions,
    createdAt: s.created_at,
    rotationDate: s.rotation_date,
    versionId,
  };
}
