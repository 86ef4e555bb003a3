/**
 * Credential rotation's writes to the secret store (seed section 1, rotation
 * every 90 days): stage a new value as AWSPENDING, promote it to AWSCURRENT,
 * roll a bad promotion back. Reads stay with the SecretsStore, which audits them.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { WardenConfig } from '../../config/schema';
import { keyFingerprint } from './fingerprint';
import { PAPER_SECRETS_FILE } from './index';
import { parseSecret } from './parse';
import { ExchangeCredentialSecret, SecretNotFoundError } from './types';

export interface StagedVersion {
  secretName: string;
  /** Secrets Manager's version id; the paper file has one pending slot, named `AWSPENDING`. */
  versionId: string;
}

export interface PromotedVersion {
  secretName: string;
  /** The version now labelled AWSCURRENT. */
  currentVersionId: string;
  /** The version it replaced (AWSPREVIOUS), kept for a rollback. */
  previousVersionId?: string;
}

/** The pending version rotation audited: Secrets Manager names it by version id, the paper file by key fingerprint. */
export interface AuditedVersion {
  versionId?: string;
  keyFingerprint: string;
}

/** What the store itself knows about a secret's history (Secrets Manager's DescribeSecret). */
export interface SecretDates {
  createdAt?: string;
  lastChangedAt?: string;
  lastRotatedAt?: string;
}

export interface SecretRotator {
  readonly kind: 'aws' | 'local-file';
  /** Stores a validated value under AWSPENDING; the current version is untouched. */
  stage(secretName: string, value: ExchangeCredentialSecret): Promise<StagedVersion>;
  /**
   * Moves AWSCURRENT to the pending version that was audited, which must still
   * carry AWSPENDING. Idempotent: when it is already current it only tidies up.
   */
  promote(secretName: string, audited: AuditedVersion): Promise<PromotedVersion>;
  /** Puts AWSCURRENT back on AWSPREVIOUS (a promoted key that does not work). */
  rollback(secretName: string): Promise<PromotedVersion>;
  dates(secretName: string): Promise<SecretDates>;
}

/** A rotation step found the store in a state it did not expect; retrying will not change that. */
export class RotationStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationStateError';
  }
}

const errName = (err: unknown) => (err as { name?: string }).name ?? 'Error';

/** Production: Secrets Manager's own staging labels. Every call names its stage or version (moto needs that too). */
export class AwsSecretRotator implements SecretRotator {
  readonly kind = 'aws' as const;
  constructor(private readonly client: SecretsManagerClient) {}

  async stage(secretName: string, value: ExchangeCredentialSecret): Promise<StagedVersion> {
    try {
      const out = await this.client.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: JSON.stringify(value), VersionStages: ['AWSPENDING'] }));
      return { secretName, versionId: out.VersionId! };
    } catch (err) {
      if (errName(err) === 'ResourceNotFoundException') {
        throw new SecretNotFoundError(secretName, 'it does not exist; rotation replaces a current key, so create the secret first');
      }
      throw new Error(`Secrets Manager refused to stage ${secretName}: ${errName(err)}`);
    }
  }

  private async stages(secretName: string): Promise<Record<string, string[]>> {
    const d = await this.client.send(new DescribeSecretCommand({ SecretId: secretName }));
    return d.VersionIdsToStages ?? {};
  }

  async promote(secretName: string, audited: AuditedVersion): Promise<PromotedVersion> {
    const versionId = audited.versionId;
    if (!versionId) throw new RotationStateError(`no version id for the pending value of ${secretName}`);
    const stages = await this.stages(secretName);
    const holding = (label: string) => Object.keys(stages).find((v) => stages[v]!.includes(label));
    const current = holding('AWSCURRENT');
    if (current !== versionId) {
      if (!stages[versionId]?.includes('AWSPENDING')) {
        throw new RotationStateError(`version ${versionId} of ${secretName} is no longer AWSPENDING (it was restaged); audit the new pending key first`);
      }
      if (!current) throw new RotationStateError(`${secretName} has no AWSCURRENT version`);
      await this.client.send(new UpdateSecretVersionStageCommand({ SecretId: secretName, VersionStage: 'AWSCURRENT', MoveToVersionId: versionId, RemoveFromVersionId: current }));
    }
    // The promoted version keeps no pending label, so the next stage starts clean.
    const after = await this.stages(secretName);
    if (after[versionId]?.includes('AWSPENDING')) {
      await this.client.send(new UpdateSecretVersionStageCommand({ SecretId: secretName, VersionStage: 'AWSPENDING', RemoveFromVersionId: versionId }));
    }
    const previous = Object.keys(after).find((v) => after[v]!.includes('AWSPREVIOUS'));
    return { secretName, currentVersionId: versionId, previousVersionId: current !== versionId ? current : previous };
  }

  async rollback(secretName: string): Promise<PromotedVersion> {
    const stages = await this.stages(secretName);
    const current = Object.keys(stages).find((v) => stages[v]!.includes('AWSCURRENT'));
    const previous = Object.keys(stages).find((v) => stages[v]!.includes('AWSPREVIOUS'));
    if (!current || !previous) throw new RotationStateError(`${secretName} has no AWSPREVIOUS version to roll back to`);
    await this.client.send(new UpdateSecretVersionStageCommand({ SecretId: secretName, VersionStage: 'AWSCURRENT', MoveToVersionId: previous, RemoveFromVersionId: current }));
    return { secretName, currentVersionId: previous, previousVersionId: current };
  }

  async dates(secretName: string): Promise<SecretDates> {
    const d = await this.client.send(new DescribeSecretCommand({ SecretId: secretName }));
    const iso = (t: Date | undefined) => (t ? t.toISOString() : undefined);
    return { createdAt: iso(d.CreatedDate), lastChangedAt: iso(d.LastChangedDate), lastRotatedAt: iso(d.LastRotatedDate) };
  }
}

const PaperSecretsFile = z.record(z.string(), z.unknown());

/**
 * Paper only: the state directory's file, where `<name>#AWSPENDING` is the
 * staged value and `<name>#AWSPREVIOUS` the one a promotion replaced.
 */
export class LocalFileSecretRotator implements SecretRotator {
  readonly kind = 'local-file' as const;

  constructor(
    private readonly path: string,
    profile: 'paper' | 'production',
  ) {
    if (profile === 'production') throw new Error('The local secrets file is for paper trading only; production rotates in AWS Secrets Manager');
  }

  private async read(): Promise<Record<string, unknown>> {
    const text = await readFile(this.path, 'utf8').catch(() => {
      throw new SecretNotFoundError(this.path, 'paper secrets file is missing (run warden dev or warden sim)');
    });
    return parseSecret(this.path, text, PaperSecretsFile);
  }

  /** Write-then-rename, so a crash never leaves half a file of keys. */
  private async write(file: Record<string, unknown>): Promise<void> {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(file, null, 2), { mode: 0o600, flush: true });
    await rename(tmp, this.path);
  }

  async stage(secretName: string, value: ExchangeCredentialSecret): Promise<StagedVersion> {
    const file = await this.read();
    if (!(secretName in file)) throw new SecretNotFoundError(secretName, `not in ${this.path}; rotation replaces a current key, so store one first`);
    file[`${secretName}#AWSPENDING`] = value;
    await this.write(file);
    return { secretName, versionId: pendingVersionId(value) };
  }

  async promote(secretName: string, audited: AuditedVersion): Promise<PromotedVersion> {
    const versionId = fingerprintVersion(audited.keyFingerprint);
    const file = await this.read();
    const pending = file[`${secretName}#AWSPENDING`];
    if (pending === undefined) {
      // Already promoted by an earlier attempt whose result was lost.
      if (versionOf(file[secretName]) === versionId) return { secretName, currentVersionId: versionId, previousVersionId: versionOf(file[`${secretName}#AWSPREVIOUS`]) };
      throw new RotationStateError(`${secretName} has no AWSPENDING value`);
    }
    if (versionOf(pending) !== versionId) throw new RotationStateError(`the AWSPENDING value of ${secretName} changed (it was restaged); audit the new pending key first`);
    const previous = file[secretName];
    file[`${secretName}#AWSPREVIOUS`] = previous;
    file[secretName] = pending;
    delete file[`${secretName}#AWSPENDING`];
    await this.write(file);
    return { secretName, currentVersionId: versionId, previousVersionId: versionOf(previous) };
  }

  async rollback(secretName: string): Promise<PromotedVersion> {
    const file = await this.read();
    const previous = file[`${secretName}#AWSPREVIOUS`];
    if (previous === undefined) throw new RotationStateError(`${secretName} has no AWSPREVIOUS value to roll back to`);
    const current = file[secretName];
    file[secretName] = previous;
    file[`${secretName}#AWSPREVIOUS`] = current;
    await this.write(file);
    return { secretName, currentVersionId: versionOf(previous) ?? 'unknown', previousVersionId: versionOf(current) };
  }

  async dates(): Promise<SecretDates> {
    return {};
  }
}

/** The paper file has no version ids: a value is named by its key's fingerprint, which is what rotation tracks anyway. */
const fingerprintVersion = (fingerprint: string) => `fp-${fingerprint}`;
const pendingVersionId = (value: { api_key: string }) => fingerprintVersion(keyFingerprint(value.api_key));

function versionOf(value: unknown): string | undefined {
  const key = (value as { api_key?: unknown } | undefined)?.api_key;
  return typeof key === 'string' ? pendingVersionId({ api_key: key }) : undefined;
}

/** The configured store's rotator: Secrets Manager, or (paper only) the state directory's file. */
export function createSecretRotator(config: WardenConfig, deps: { stateDir: string; secretsClient: SecretsManagerClient }): SecretRotator {
  return config.secrets.provider === 'aws'
    ? new AwsSecretRotator(deps.secretsClient)
    : new LocalFileSecretRotator(join(deps.stateDir, PAPER_SECRETS_FILE), config.profile);
}

/**
 * Validates a new key's JSON against the seed's secret structure (errors name
 * the field, never the value) and stages it. Returns the version and the new
 * key's fingerprint, so the operator can tell it apart from the current one.
 */
export async function stageExchangeSecret(rotator: SecretRotator, secretName: string, text: string): Promise<StagedVersion & { keyFingerprint: string }> {
  const value = parseSecret(secretName, text, ExchangeCredentialSecret);
  const staged = await rotator.stage(secretName, value);
  return { ...staged, keyFingerprint: keyFingerprint(value.api_key) };
}
