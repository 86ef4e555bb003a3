import { Writable } from 'node:stream';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../adapters/logger';
import { AwsSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { credentialInventoryWorkflow } from '../workflows/credential-inventory';
import { motoClients } from './helpers/aws';
import { openTempTrail } from './helpers/audit';
import { historyText } from './helpers/history';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

const SECRET_VALUES = ['AKscan-trading-7f3a9c', 'SKscan-trading-e41d2b88', 'PPscan-passphrase-91', 'AKscan-monitor-22c1', 'SKscan-monitor-0b7e'];

/** Secrets never enter workflow history or logs: run a workflow that uses them, then look everywhere. */
describe('secret scan of workflow history and logs', () => {
  let t: TemporalHarness;
  const logLines: string[] = [];
  beforeAll(async () => {
    const { secrets: sm } = motoClients();
    const base = { ip_whitelist: ['52.1.2.3'], created_at: '2025-01-15T00:00:00Z', rotation_date: '2025-04-15T00:00:00Z' };
    await sm.send(
      new CreateSecretCommand({
        Name: 'warden/okx/main/trading',
        SecretString: JSON.stringify({ ...base, api_key: SECRET_VALUES[0], secret: SECRET_VALUES[1], passphrase: SECRET_VALUES[2], permissions: { read: true, trade: true, withdraw: false, transfer: false } }),
      }),
    );
    await sm.send(
      new CreateSecretCommand({
        Name: 'warden/okx/main/monitoring',
        SecretString: JSON.stringify({ ...base, api_key: SECRET_VALUES[3], secret: SECRET_VALUES[4], permissions: { read: true, trade: false, withdraw: false, transfer: false } }),
      }),
    );
    t = await temporalHarness();
  });
  afterAll(async () => t?.close());

  it('finds zero secret values in the exported history and the captured logs', async () => {
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _e, cb) {
          logLines.push(chunk.toString());
          cb();
        },
      }),
    });
    const audit = await openTempTrail();
    const secrets = new CachedSecretsStore({ source: new AwsSecretSource(motoClients().secrets), prefix: 'warden', ttlSeconds: 60, audit, accessedBy: 'scan-worker' });
    await t.startWorker({ logger, audit, secrets });

    const handle = await t.client.workflow.start(credentialInventoryWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `inventory-${t.taskQueue}`,
      args: [{ accounts: [{ exchange: 'okx', account: 'main', purposes: ['trading', 'monitoring'] }, { exchange: 'okx', account: 'missing', purposes: ['trading'] }], requestedBy: 'op-1' }],
    });
    // The missing account fails the workflow: its error text must be clean too.
    await expect(handle.result()).rejects.toThrow();
    // Log every credential the way a careless developer might, to prove redaction holds.
    const creds = await secrets.getExchangeCredentials('okx', 'main', 'trading');
    logger.error({ creds }, `request failed for key ${creds.apiKey} with secret ${creds.secret}`);

    const history = await historyText(handle);
    const audited = JSON.stringify(audit.events());
    const logs = logLines.join('');
    expect(history).toContain('credential_inventory'); // the workflow did run with the credentials
    expect(history).toContain('warden/okx/missing/trading');
    expect(logs).toContain('request failed for key [REDACTED]');
    const hits = SECRET_VALUES.flatMap((v) => [history, audited, logs].filter((text) => text.includes(v)).map(() => v));
    expect(hits).toEqual([]);
  });
});
