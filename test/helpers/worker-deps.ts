import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityDeps } from '../../activities';
import { AlertRouter, LogAlertChannel } from '../../adapters/alerts/router';
import { LocalReportStore } from '../../adapters/audit/report-store';
import { AuditTrail } from '../../adapters/audit/trail';
import { createLogger } from '../../adapters/logger';
import { createMetrics } from '../../adapters/metrics';
import { CachedSecretsStore } from '../../adapters/secrets/store';
import { LocalFileSecretSource } from '../../adapters/secrets/sources';
import { testClock, testNowMs } from './clock';

export type WorkerDeps = Omit<ActivityDeps, 'workerIdentity'> & { workerIdentity?: string };

/**
 * A worker's activity dependencies for tests and benchmarks: real local
 * adapters (audit spool, log alerts, report files) wherever the caller passes
 * nothing, and loud failures for what a test did not configure (exchanges, secrets).
 * Activities and these adapters run on the test clock (see ./clock).
 */
export async function workerDeps(deps: Partial<ActivityDeps> = {}): Promise<WorkerDeps> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-worker-'));
  const audit = deps.audit ?? (await AuditTrail.open({ dir: join(dir, 'audit'), now: testClock }));
  const logger = deps.logger ?? createLogger({ level: 'silent' });
  return {
    metrics: createMetrics(),
    auditReader: audit instanceof AuditTrail ? audit : { events: () => [] },
    sessionControl: { stop: async () => [], resume: async () => [], status: async () => [], incidents: async () => [] },
    reports: new LocalReportStore(join(dir, 'reports')),
    accounts: [],
    escalation: [],
    secrets: new CachedSecretsStore({ source: new LocalFileSecretSource(join(dir, 'no-secrets.json'), 'paper'), prefix: 'warden', ttlSeconds: 60, audit, accessedBy: 'test', now: testNowMs }),
    gateways: { gateway: () => Promise.reject(new Error('this test configured no exchange gateway')) },
    alerts: new AlertRouter({ channels: [new LogAlertChannel(logger)], audit, logger, now: testNowMs }),
    now: testClock,
    ...deps,
    logger,
    audit,
  };
}
