import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GenerateMacCommand,
  VerifyMacCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';

/**
 * Signs chain heads. A hash chain alone can be extended by anyone who can put
 * an object; a MAC from a KMS key (kms:GenerateMac held only by the desk's
 * writers) cannot, so a forged object at the next key fails `audit verify`.
 */
export interface AuditHeadSigner {
  mac(message: string): Promise<string>;
  verify(message: string, mac: string): Promise<boolean>;
}

/** What a head MAC covers: the writer, and its last event's seq and hash (which chains every event before it). */
export function headMessage(writer: string, seq: number, hash: string): string {
  return `warden-audit-head/v1\n${writer}\n${seq}\n${hash}`;
}

const ALGORITHM = 'HMAC_SHA_256';

export class KmsHeadSigner implements AuditHeadSigner {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async mac(message: string): Promise<string> {
    const out = await this.kms.send(new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: ALGORITHM, Message: Buffer.from(message) }));
    if (!out.Mac) throw new Error(`KMS GenerateMac with ${this.keyId} returned no MAC`);
    return Buffer.from(out.Mac).toString('base64');
  }

  async verify(message: string, mac: string): Promise<boolean> {
    try {
      const out = await this.kms.send(
        new VerifyMacCommand({ KeyId: this.keyId, MacAlgorithm: ALGORITHM, Message: Buffer.from(message), Mac: Buffer.from(mac, 'base64') }),
      );
      return out.MacValid === true;
    } catch (err) {
      // KMS answers a wrong MAC with an error, not MacValid false; anything else (no access, no key) is not a verdict.
      if ((err as { name?: string }).name === 'KMSInvalidMacException') return false;
      throw err;
    }
  }
}

export interface MacKeyInitResult {
  keyId: string;
  created: boolean;
}

/**
 * Creates the head-MAC key (HMAC_256, GENERATE_VERIFY_MAC) when `allowCreate` and it is absent, under
 * the configured alias; otherwise checks that it exists, is enabled and is that kind of key.
 */
export async function initAuditMacKey(kms: KMSClient, keyId: string, allowCreate: boolean): Promise<MacKeyInitResult> {
  const found = await kms.send(new DescribeKeyCommand({ KeyId: keyId })).then(
    (r) => r.KeyMetadata,
    (err: { name?: string }) => {
      if (err.name === 'NotFoundException') return undefined;
      throw err;
    },
  );
  if (!found) {
    if (!allowCreate) throw new Error(`KMS key ${keyId} for audit head MACs does not exist; create an HMAC_256 key (GENERATE_VERIFY_MAC) and set aws.auditMacKeyId`);
    const created = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'Warden audit chain heads' }));
    const id = created.KeyMetadata!.KeyId!;
    if (keyId.startsWith('alias/')) await kms.send(new CreateAliasCommand({ AliasName: keyId, TargetKeyId: id }));
    return { keyId, created: true };
  }
  if (found.KeySpec !== 'HMAC_256' || found.KeyUsage !== 'GENERATE_VERIFY_MAC') {
    throw new Error(`KMS key ${keyId} is ${found.KeySpec}/${found.KeyUsage}; audit head MACs need HMAC_256 with GENERATE_VERIFY_MAC`);
  }
  if (found.Enabled === false) throw new Error(`KMS key ${keyId} is disabled; audit shipping cannot sign chain heads`);
  return { keyId, created: false };
}
