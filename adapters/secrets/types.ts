import { z } from 'zod';
import type { ExchangeId } from '../../domain/market';

export type KeyPurpose = 'trading' | 'monitoring';

/** The seed's secret structure (section 1), validated before anything uses it. */
export const ExchangeCredentialSecret = z
  .object({
    api_key: z.string().min(1),
    secret: z.string().min(1),
    passphrase: z.string().min(1).optional(),
    ip_whitelist: z.array(z.string()).default([]),
    permissions: z.object({ read: z.boolean(), trade: z.boolean(), withdraw: z.boolean(), transfer: z.boolean() }),
    created_at: z.iso.datetime({ offset: true }),
    rotation_date: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type ExchangeCredentialSecret = z.infer<typeof ExchangeCredentialSecret>;

export const TelegramTokenSecret = z.object({ token: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/) }).strict();
/** An Events API v2 integration key (32 characters; PagerDuty calls it the routing key). */
export const PagerDutyRoutingKeySecret = z.object({ routing_key: z.string().regex(/^[A-Za-z0-9]{32}$/) }).strict();
/** The signing secret of PagerDuty's V3 webhook subscription (acknowledgements flowing back to the desk). */
export const PagerDutyWebhookSecret = z.object({ secret: z.string().min(16) }).strict();
/** SMTP submission credentials for the email alert channel. */
export const SmtpCredentialSecret = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
export type SmtpCredentials = z.infer<typeof SmtpCredentialSecret>;
export const DatabaseCredentialSecret = z
  .object({ username: z.string().min(1), password: z.string().min(1), host: z.string().optional(), port: z.number().int().optional() })
  .strict();
export type DatabaseCredentials = z.infer<typeof DatabaseCredentialSecret>;

export interface ExchangeCredentials {
  secretName: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
  ipWhitelist: string[];
  permissions: ExchangeCredentialSecret['permissions'];
  createdAt: string;
  rotationDate?: string;
  /** The Secrets Manager version id, so rotation can tell old from new. */
  versionId?: string;
}

export type VersionStage = 'AWSCURRENT' | 'AWSPENDING';

/** One interface for every secret the desk reads; values never leave the worker process. */
export interface SecretsStore {
  readonly kind: 'aws' | 'local-file';
  getExchangeCredentials(exchange: ExchangeId, account: string, purpose: KeyPurpose, stage?: VersionStage): Promise<ExchangeCredentials>;
  getTelegramToken(): Promise<string>;
  getPagerDutyRoutingKey(): Promise<string>;
  getPagerDutyWebhookSecret(): Promise<string>;
  getSmtpCredentials(): Promise<SmtpCredentials>;
  getDatabaseCredentials(): Promise<DatabaseCredentials>;
  /** Drops cached values (all, or one secret name): rotation calls this after promoting a new key. */
  invalidate(secretName?: string): void;
}

export class SecretFormatError extends Error {
  constructor(secretName: string, problems: string[]) {
    super(`Secret ${secretName} is malformed: ${problems.join('; ')}`);
    this.name = 'SecretFormatError';
  }
}

export class SecretNotFoundError extends Error {
  constructor(secretName: string, detail = 'not found') {
    super(`Secret ${secretName} is unavailable: ${detail}`);
    this.name = 'SecretNotFoundError';
  }
}

/** Names of the desk's non-exchange secrets under the configured prefix. */
export const SERVICE_SECRET_NAMES = {
  telegram: 'telegram/bot',
  pagerduty: 'pagerduty/events',
  pagerdutyWebhook: 'pagerduty/webhook',
  smtp: 'smtp/credentials',
  database: 'database/credentials',
} as const;

export function serviceSecretName(prefix: string, service: keyof typeof SERVICE_SECRET_NAMES): string {
  return `${prefix}/${SERVICE_SECRET_NAMES[service]}`;
}

export function exchangeSecretName(prefix: string, exchange: ExchangeId, account: string, purpose: KeyPurpose): string {
  return `${prefix}/${exchange}/${account}/${purpose}`;
}
