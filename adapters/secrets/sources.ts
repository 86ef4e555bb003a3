import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { parseSecret } from './parse';
import type { RawSecret, SecretSource } from './store';
import { SecretNotFoundError, type VersionStage } from './types';

/** Production: AWS Secrets Manager. */
export class AwsSecretSource implements SecretSource {
  readonly kind = 'aws' as const;
  constructor(private readonly client: SecretsManagerClient) {}

  async fetch(name: string, stage: VersionStage): Promise<RawSecret> {
    try {
      // Always name the stage: the safe choice, and moto needs it.
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }));
      return { text: out.SecretString, versionId: out.VersionId };
    } catch (err) {
      // The SDK's message can echo request details; keep only the error class.
      throw new SecretNotFoundError(name, `${(err as { name?: string }).name ?? 'error'} from Secrets Manager (stage ${stage})`);
    }
  }
}

/** The paper file maps a secret name (with `#AWSPENDING` for a staged one) to the JSON value Secrets Manager would hold. */
const PaperSecretsFile = z.record(z.string(), z.unknown());

/** Paper trading only: simulator keys in a file under the state directory; production refuses it. */
export class LocalFileSecretSource implements SecretSource {
  readonly kind = 'local-file' as const;

  constructor(
    private readonly path: string,
    profile: 'paper' | 'production',
  ) {
    if (profile === 'production') throw new Error('The local secrets file is for paper trading only; production reads AWS Secrets Manager');
  }

  async fetch(name: string, stage: VersionStage): Promise<RawSecret> {
    const text = await readFile(this.path, 'utf8').catch(() => {
      throw new SecretNotFoundError(name, `paper secrets file ${this.path} is missing (run warden dev or warden sim)`);
    });
    const file = parseSecret(this.path, text, PaperSecretsFile);
    const key = stage === 'AWSCURRENT' ? name : `${name}#${stage}`;
    if (!(key in file)) throw new SecretNotFoundError(name, `not in ${this.path} (stage ${stage})`);
    return { text: JSON.stringify(file[key]), versionId: stage };
  }
}
