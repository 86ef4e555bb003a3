/**
 * The security procedures' hands: the API-key audit (seed section 2) and
 * credential rotation (section 1). Keys and secrets stay in here; results
 * carry findings, dates and fingerprints only.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { GatewayError } from '../adapters/exchange/errors';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { keyFingerprint } from '../adapters/secrets/fingerprint';
import type { SecretDates } from '../adapters/secrets/rotation';
import { SecretNotFoundError, type ExchangeCredentials, type KeyPurpose, type SecretsStore, type VersionStage } from '../adapters/secrets/types';
import type { ExchangeId } from '../domain/market';
import { auditKeys, hasCritical, type Finding, type KeyPermissions } from '../domain/key-audit';
import { FAILURE } from '../contracts/failures';
import { credentialInfo, type CredentialInfo } from './credentials';
import type { ActivityDeps } from './deps';

export interface KeyAuditRequest {
  exchange: ExchangeId;
  account: string;
  /** Which version of the `purpose` key to audit (AWSPENDING during rotation); the other key is always AWSCURRENT. */
  stage?: VersionStage;
  /** The key `stage` applies to; default trading. */
  purpose?: KeyPurpose;
  /** Prefix of the findings' audit ids; workflows derive it from their own state so a retry writes nothing twice. */
  auditId?: string;
  actor?: string;
}

export interface KeyAuditResult {
  exchange: ExchangeId;
  account: string;
  purpose: KeyPurpose;
  stage: VersionStage;
  findings: Finding[];
  critical: boolean;
  /** Fingerprints of the audited keys (see keyFingerprint), never the keys. */
  keys: { trading: string; monitoring?: string };
}

/** What the audit reads from: the worker's gateways and secrets store, or the CLI's own. */
export interface KeyAuditIo {
  gateways: GatewayProvider;
  secrets: SecretsStore;
}

/**
 * An optional secret (a monitoring key) is absent only when the store says the
 * name does not exist; any other failure (access denied, network) is an error,
 * so an outage cannot make a key look absent and skip its audit.
 */
function isAbsent(err: unknown): boolean {
  return err instanceof SecretNotFoundError && /ResourceNotFoundException|not in /.test(err.message);
}

async function permissionsOf(io: KeyAuditIo, exchange: ExchangeId, account: string, purpose: KeyPurpose, stage: VersionStage, creds: ExchangeCredentials): Promise<KeyPermissions> {
  const perms = await (await io.gateways.gateway(exchange, account, purpose, stage)).fetchKeyPermissions();
  // The fingerprint names the key, so the auditor can tell a shared trading/monitoring key.
  return { ...perms, keyId: keyFingerprint(creds.apiKey) };
}

/**
 * Asks the venue what each of the account's keys may do and judges it: the
 * trading key against the whitelist recorded in its secret, the monitoring key
 * (when one is stored) as read-only and distinct. Pure of audit writes, so the
 * CLI and preflight can run it in-process.
 */
export async function collectKeyAudit(io: KeyAuditIo, req: KeyAuditRequest): Promise<KeyAuditResult> {
  const purpose = req.purpose ?? 'trading';
  const stage = req.stage ?? 'AWSCURRENT';
  const stageOf = (p: KeyPurpose): VersionStage => (p === purpose ? stage : 'AWSCURRENT');
  const { exchange, account } = req;

  const tradingCreds = await io.secrets.getExchangeCredentials(exchange, account, 'trading', stageOf('trading'));
  let monitoringCreds: ExchangeCredentials | undefined;
  try {
    monitoringCreds = await io.secrets.getExchangeCredentials(exchange, account, 'monitoring', stageOf('monitoring'));
  } catch (err) {
    // A monitoring key being rotated must exist; otherwise the account may simply have none.
    if (purpose === 'monitoring' || !isAbsent(err)) throw err;
  }
  const trading = await permissionsOf(io, exchange, account, 'trading', stageOf('trading'), tradingCreds);
  const monitoring = monitoringCreds ? await permissionsOf(io, exchange, account, 'monitoring', stageOf('monitoring'), monitoringCreds) : undefined;
  const findings = auditKeys({ exchange, account, trading, monitoring, recordedWhitelist: tradingCreds.ipWhitelist });
  return {
    exchange,
    account,
    purpose,
    stage,
    findings,
    critical: hasCritical(findings),
    keys: { trading: trading.keyId, ...(monitoring ? { monitoring: monitoring.keyId } : {}) },
  };
}

/** Gateway errors become failures named by kind; a revoked or unknown key will not get better by retrying. */
function toFailure(err: unknown): never {
  if (err instanceof GatewayError) {
    throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: err.kind === 'auth' || err.kind === 'rejected' });
  }
  throw err;
}

export interface RotationCredentialInfo extends CredentialInfo {
  /** What Secrets Manager records (DescribeSecret); empty for the paper file. */
  store: SecretDates;
  /**
   * When the credential was read, by the worker's clock (deps.now): the rotation
   * check judges the key's age against it. Absent in results recorded by older workers.
   */
  checkedAt?: string;
}

export interface PromotionResult {
  secretName: string;
  previousFingerprint: string;
  newFingerprint: string;
  currentVersionId: string;
  /** An earlier attempt had already promoted it (its result was lost). */
  alreadyPromoted: boolean;
}

export function createSecurityActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const fail = (type: string, message: string): never => {
    throw ApplicationFailure.create({ type, message, nonRetryable: true });
  };
  const rotator = () => deps.rotator ?? fail(FAILURE.rotationUnavailable, 'this worker has no secret rotator configured; it cannot stage or promote keys');
  const secretName = async (exchange: ExchangeId, account: string, purpose: KeyPurpose) =>
    (await deps.secrets.getExchangeCredentials(exchange, account, purpose)).secretName;

  return {
    /**
     * The key audit of one account: each finding is written to the audit trail
     * as a `key_audit` event and returned. A session must not start on a CRITICAL finding.
     */
    async auditAccountKeys(req: KeyAuditRequest): Promise<KeyAuditResult> {
      let result: KeyAuditResult;
      try {
        result = await collectKeyAudit(deps, req);
      } catch (err) {
        return toFailure(err);
      }
      const prefix = req.auditId ?? `key-audit/${randomUUID()}`;
      for (const f of result.findings) {
        // A staged key is labelled as such, so the trail never confuses it with the live one.
        const key = f.key === result.purpose && result.stage !== 'AWSCURRENT' ? `${f.key}@${result.stage}` : f.key;
        await deps.audit.record({
          id: `${prefix}/${result.exchange}/${result.account}/${key}/${f.code}`,
          type: 'key_audit',
          actor: req.actor ?? 'key-audit',
          data: { exchange: f.exchange, account: f.account, key, severity: f.severity, code: f.code, message: f.message },
        });
      }
      return result;
    },

    /** The accounts this worker is configured for (what a schedule without an account list audits). */
    async configuredAccounts(): Promise<Array<{ exchange: ExchangeId; account: string }>> {
      return deps.accounts.map((a) => ({ exchange: a.exchange, account: a.account }));
    },

    /** A credential's age as rotation sees it; `undefined` when no such secret is stored (an account without a monitoring key). */
    async describeRotation(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose }): Promise<RotationCredentialInfo | undefined> {
      let c: ExchangeCredentials;
      try {
        c = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose);
      } catch (err) {
        if (isAbsent(err)) return undefined;
        throw err;
      }
      // DescribeSecret is one cheap call and says when the store last changed; it is context, not a blocker.
      const store = await (deps.rotator?.dates(c.secretName) ?? Promise.resolve({})).catch(() => ({}));
      return { ...credentialInfo(input, c), store, checkedAt: now().toISOString() };
    },

    /** Drops this worker's cached copy of a credential, so the next read sees what the store holds now. */
    async invalidateSecretCache(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose }): Promise<{ secretName: string; worker: string }> {
      const name = await secretName(input.exchange, input.account, input.purpose);
      deps.secrets.invalidate(name);
      return { secretName: name, worker: deps.workerIdentity };
    },

    /**
     * Promotes the staged key the rotation audited (named by fingerprint) to
     * AWSCURRENT. Refuses if the staged key changed since the audit.
     */
    async promoteCredential(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose; auditedFingerprint: string }): Promise<PromotionResult> {
      const r = rotator();
      const name = await secretName(input.exchange, input.account, input.purpose);
      // Fresh reads: a cached value could be minutes old.
      deps.secrets.invalidate(name);
      const current = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose);
      const currentFp = keyFingerprint(current.apiKey);
      if (currentFp === input.auditedFingerprint) {
        return { secretName: name, previousFingerprint: currentFp, newFingerprint: currentFp, currentVersionId: current.versionId ?? '', alreadyPromoted: true };
      }
      const pending = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose, 'AWSPENDING');
      const pendingFp = keyFingerprint(pending.apiKey);
      if (pendingFp !== input.auditedFingerprint) {
        fail(FAILURE.rotationState, `the staged ${input.purpose} key of ${input.exchange}/${input.account} changed since it was audited (${input.auditedFingerprint} -> ${pendingFp})`);
      }
      const promoted = await r.promote(name, { versionId: pending.versionId, keyFingerprint: pendingFp }).catch((err: Error) =>
        err.name === FAILURE.rotationState ? fail(err.name, err.message) : Promise.reject(err),
      );
      return { secretName: name, previousFingerprint: currentFp, newFingerprint: pendingFp, currentVersionId: promoted.currentVersionId, alreadyPromoted: false };
    },

    /** Puts the previous key back as AWSCURRENT when the promoted one does not work (it has not been revoked yet). */
    async rollbackCredential(input: { exchange: ExchangeId; account: string; purpose: KeyPurpose; badFingerprint: string }): Promise<{ secretName: string; restoredFingerprint: string }> {
      const r = rotator();
      const name = await secretName(input.exchange, input.account, input.purpose);
      deps.secrets.invalidate(name);
      const current = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose);
      // Idempotent: a retry after a rollback whose result was lost finds the old key already back.
      if (keyFingerprint(current.apiKey) === input.badFingerprint) {
        await r.rollback(name).catch((err: Error) => (err.name === FAILURE.rotationState ? fail(err.name, err.message) : Promise.reject(err)));
        deps.secrets.invalidate(name);
      }
      const restored = await deps.secrets.getExchangeCredentials(input.exchange, input.account, input.purpose);
      return { secretName: name, restoredFingerprint: keyFingerprint(restored.apiKey) };
    },
  };
}
