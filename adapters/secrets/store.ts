import type { ExchangeId } from '../../domain/market';
import type { AuditRecorder } from '../audit/trail';
import { registerSecret } from '../redact';
import { auditedRead } from './audited-reader';
import { TtlCache } from './cache';
import { parseSecret, toExchangeCredentials } from './parse';
import {
  DatabaseCredentialSecret,
  exchangeSecretName,
  PagerDutyRoutingKeySecret,
  PagerDutyWebhookSecret,
  serviceSecretName,
  SmtpCredentialSecret,
  TelegramTokenSecret,
  type DatabaseCredentials,
  type SmtpCredentials,
  type ExchangeCredentials,
  type KeyPurpose,
  type SecretsStore,
  type VersionStage,
} from './types';

export interface RawSecret {
  text: string | undefined;
  versionId?: string;
}

/** Where secret values physically live: AWS Secrets Manager, or the paper file. */
export interface SecretSource {
  readonly kind: 'aws' | 'local-file';
  fetch(name: string, stage: VersionStage): Promise<RawSecret>;
}

export interface CachedSecretsStoreOptions {
  source: SecretSource;
  prefix: string;
  ttlSeconds: number;
  audit: AuditRecorder;
  /** Who reads, for the audit trail (the worker identity). */
  accessedBy: string;
  now?: () => number;
}

/** Validates, caches briefly and audits every fetch from the source; values stay in this process. */
export class CachedSecretsStore implements SecretsStore {
  private readonly cache: TtlCache<unknown>;

  constructor(private readonly opts: CachedSecretsStoreOptions) {
    this.cache = new TtlCache(opts.ttlSeconds * 1000, opts.now);
  }

  get kind() {
    return this.opts.source.kind;
  }

  private async load<T>(name: string, purpose: string, stage: VersionStage, parse: (raw: RawSecret) => T): Promise<T> {
    const key = `${name}#${stage}`;
    const hit = this.cache.get(key) as T | undefined;
    if (hit !== undefined) return hit;
    const value = await auditedRead(this.opts.audit, this.opts.accessedBy, name, purpose, async () => parse(await this.opts.source.fetch(name, stage)));
    this.cache.set(key, value);
    return value;
  }

  getExchangeCredentials(exchange: ExchangeId, account: string, purpose: KeyPurpose, stage: VersionStage = 'AWSCURRENT'): Promise<ExchangeCredentials> {
    const name = exchangeSecretName(this.opts.prefix, exchange, account, purpose);
    return this.load(name, purpose, stage, (raw) => toExchangeCredentials(name, raw.text, raw.versionId));
  }

  getTelegramToken(): Promise<string> {
    const name = serviceSecretName(this.opts.prefix, 'telegram');
    return this.load(name, 'telegram', 'AWSCURRENT', (raw) => {
      const { token } = parseSecret(name, raw.text, TelegramTokenSecret);
      registerSecret(token);
      return token;
    });
  }

  getPagerDutyRoutingKey(): Promise<string> {
    const name = serviceSecretName(this.opts.prefix, 'pagerduty');
    return this.load(name, 'pagerduty', 'AWSCURRENT', (raw) => {
      const { routing_key } = parseSecret(name, raw.text, PagerDutyRoutingKeySecret);
      registerSecret(routing_key);
      return routing_key;
    });
  }

  getPagerDutyWebhookSecret(): Promise<string> {
    const name = serviceSecretName(this.opts.prefix, 'pagerdutyWebhook');
    return this.load(name, 'pagerduty-webhook', 'AWSCURRENT', (raw) => {
      const { secret } = parseSecret(name, raw.text, PagerDutyWebhookSecret);
      registerSecret(secret);
      return secret;
    });
  }

  getSmtpCredentials(): Promise<SmtpCredentials> {
    const name = serviceSecretName(this.opts.prefix, 'smtp');
    return this.load(name, 'smtp', 'AWSCURRENT', (raw) => {
      const creds = parseSecret(name, raw.text, SmtpCredentialSecret);
      registerSecret(creds.password);
      return creds;
    });
  }

  getDatabaseCredentials(): Promise<DatabaseCredentials> {
    const name = serviceSecretName(this.opts.prefix, 'database');
    return this.load(name, 'database', 'AWSCURRENT', (raw) => {
      const creds = parseSecret(name, raw.text, DatabaseCredentialSecret);
      registerSecret(creds.password);
      return creds;
    });
  }

  invalidate(secretName?: string): void {
    this.cache.invalidate(secretName);
  }
}
