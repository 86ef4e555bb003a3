import { HeadObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import { initAuditBucket } from '../adapters/audit/bucket';
import { S3ReportStore } from '../adapters/audit/report-store';
import { createLogger } from '../adapters/logger';
import { RiskConfig, WardenConfig } from '../config/schema';
import { makeAlert } from '../domain/severity';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import { startSession } from '../workers/sessions';
import {
  acknowledgeUpdate,
  approveResumeUpdate,
  falsePositiveUpdate,
  incidentStatusQuery,
  incidentWorkflowId,
  recordFindingsUpdate,
  type IncidentStatus,
} from '../contracts/incident';
import { resumeUpdate, statusQuery, type SessionInput } from '../contracts/session';
import { eventsOf } from './helpers/audit-read';
import { motoClients } from './helpers/aws';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const BUCKET = 'warden-incident-reports';
let h: ExchangeHarness;
let t: TemporalHarness;
let desk: TemporalDeskControl;
let router: AlertRouter;

beforeAll(async () => {
  h = await ExchangeHarness.start(13);
  t = await temporalHarness();
  const { s3 } = motoClients();
  await initAuditBucket(s3, BUCKET, 30);
  const config = WardenConfig.parse({
    profile: 'paper',
    temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue },
    exchanges: [{ exchange: 'binance', account: 'inc' }],
  });
  desk = new TemporalDeskControl(t.client, config);
  const logger = createLogger({ level: 'silent' });
  router = new AlertRouter({ channels: [new LogAlertChannel(logger)], audit: h.audit, logger, onIncident: (a) => desk.incident.openFromAlert(a) });
  const secrets = h.secrets();
  const provider = new (await import('../adapters/exchange/provider')).CcxtGatewayProvider({ secrets, accounts: h.accounts('inc'), enableRateLimit: false, timeoutMs: 3000 });
  h.addKey('binance', 'inc');
  h.sim.setBalance('binance', 'inc', 'USDT', 20_000);
  h.sim.setBalance('binance', 'inc', 'BTC', 0.01);
  await t.startWorker({
    secrets,
    gateways: provider,
    audit: h.audit,
    alerts: router,
    sessionControl: desk,
    reports: new S3ReportStore({ s3, bucket: BUCKET, retentionDays: 30 }),
    accounts: [{ exchange: 'binance', account: 'inc' }],
  });
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

const at = () => new Date().toISOString();
const status = (id: string) => t.client.workflow.getHandle(id).query(incidentStatusQuery);

describe('incident runbook on the real dev server', () => {
  it('each trigger opens the right severity, and a repeated trigger attaches to the open incident', async () => {
    const triggers = [
      makeAlert('circuit_breaker_triggered', { message: 'exchange failures', at: at(), scope: { exchange: 'okx', account: 'x1' } }),
      makeAlert('daily_loss_limit', { message: 'daily P&L -6%', at: at(), scope: { exchange: 'okx', account: 'x2' } }),
      makeAlert('unauthorized_access', { message: 'a call from a non-whitelisted IP', at: at(), scope: { subject: 'ip-203.0.113.9' } }),
      makeAlert('failover_occurred', { message: 'worker a -> b', at: at(), scope: { exchange: 'okx', account: 'x3' } }),
    ];
    const ids: string[] = [];
    for (const a of triggers) ids.push((await desk.incident.openFromAlert(a))!);
    const severities = await Promise.all(ids.map(async (id) => (await status(id)).severity));
    expect(severities).toEqual(['SEV-2', 'SEV-2', 'SEV-1', 'SEV-3']);
    const manual = await desk.declareIncident({ id: 'cli:alice', channel: 'cli' }, { severity: 'SEV-4', summary: 'warning threshold exceeded' });
    expect(manual).toMatchObject({ severity: 'SEV-4', summary: 'warning threshold exceeded' });

    // Same cause again: the same workflow counts it.
    const again = await desk.incident.openFromAlert(triggers[1]!);
    expect(again).toBe(ids[1]);
    await waitFor(() => status(ids[1]!), (s) => s.triggers === 2, 10_000, 'second trigger counted');

    const desc = await t.client.workflow.getHandle(ids[2]!).describe();
    expect(desc.searchAttributes.IncidentSeverity).toEqual(['SEV-1']);
    for (const id of ids) await t.client.workflow.getHandle(id).terminate('test cleanup');
  });

  it('SEV-1 contains automatically before anyone acknowledges, then runs to a WORM report', async () => {
    const price = h.sim.price('BTC/USDT');
    const input: SessionInput = {
      exchange: 'binance',
      account: 'inc',
      symbols: ['BTC/USDT'],
      strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
      tickSeconds: 1,
    };
    const session = await startSession(t.client, t.taskQueue, input);
    await waitFor(async () => h.sim.orders('binance', 'inc').filter((o) => o.status === 'open').length, (c) => c >= 2, 20_000, 'resting orders');

    const trigger = makeAlert('unauthorized_access', { message: 'an order under the desk account that the desk did not place', at: at(), scope: { exchange: 'binance', account: 'inc' } });
    await router.route(trigger, 'operator-bot');
    // One incident per cause: its id follows from the alert's dedup key (no lagging visibility query).
    const id = incidentWorkflowId(trigger.dedupKey);
    const contained = await waitFor(() => status(id), (s) => !!s.damage, 20_000, 'automatic containment');
    expect(contained.acknowledgedBy).toBeUndefined();
    expect(contained.severity).toBe('SEV-1');
    expect(h.sim.orders('binance', 'inc').filter((o) => o.status === 'open')).toEqual([]);
    expect(contained.damage!.cancelledOrders).toBeGreaterThanOrEqual(2);
    const sess = await session.query(statusQuery);
    expect(sess.mode).toBe('stopped');
    expect(sess.breaker).toMatchObject({ status: 'open', trippedBy: 'incident' });
    // The isolation belongs to this incident: no other Update lifts it (issue 13).
    expect(sess.isolation?.incidents).toEqual([id]);
    const isolated = { cause: { message: expect.stringContaining(`isolation: credentials isolated by SEV-1 incident ${id}; only that incident's approveResume`) } };
    await expect(session.executeUpdate(resumeUpdate, { args: [{ by: 'cli:alice', reason: 'looks fine' }] })).rejects.toMatchObject(isolated);
    await expect(session.executeUpdate(resumeUpdate, { args: [{ by: 'cli:alice', reason: 'x', approvedBy: { incidentId: 'incident/some-other' } }] })).rejects.toMatchObject(isolated);
    await expect(desk.resumeAll({ id: 'tg:42', channel: 'telegram' }, 'resume everything')).rejects.toThrow();
    expect((await session.query(statusQuery)).mode).toBe('stopped');

    const handle = t.client.workflow.getHandle(id);
    await expect(handle.executeUpdate(acknowledgeUpdate, { args: [{ by: '' }] })).rejects.toMatchObject({ cause: { message: 'by: an operator id is required' } });
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:42' }] });
    await waitFor(() => status(id), (s) => s.phase === 'investigation', 15_000, 'investigation');
    await handle.executeUpdate(recordFindingsUpdate, {
      args: [{ by: 'tg:42', findings: 'an unknown chat sent /stop', rootCause: 'bot token leaked in a screenshot', keysCompromised: false, prevention: ['rotate the bot token'], lessons: 'never screenshot config' }],
    });
    await waitFor(() => status(id), (s) => s.phase === 'recovery', 15_000, 'recovery');
    await handle.executeUpdate(approveResumeUpdate, { args: [{ by: 'tg:42', reason: 'token rotated' }] });
    const final = (await handle.result()) as IncidentStatus;
    expect(final.phase).toBe('closed');
    const resumed = await session.query(statusQuery);
    expect(resumed.mode).toBe('trading');
    expect(resumed.isolation).toBeUndefined();
    expect(resumed.breaker.status).toBe('closed');

    const { s3 } = motoClients();
    const key = final.reportKey!.replace(`s3://${BUCKET}/`, '');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
    for (const heading of ['## Incident Summary', '## Timeline', '## Root Cause', '## Actions Taken', '## Prevention', '## Lessons Learned']) expect(body).toContain(heading);
    expect(body).toContain('bot token leaked in a screenshot');
    expect(body).toMatch(/\[containment\]: emergency stop \(automatic for SEV-1\)/);
    expect(body).toMatch(/\[(detection|containment)\]: acknowledged by tg:42/);
    const phases = eventsOf(h.audit, 'incident_phase').filter((e) => e.data.incident === id).map((e) => e.data.phase);
    expect([...new Set(phases)]).toEqual(['detection', 'containment', 'investigation', 'recovery', 'closed']);
    await session.terminate('test over');
  });

  it('an operator can close a SEV-3 as a false positive in detection (audited), with no containment', async () => {
    const id = await desk.incident.open({ cause: 'test:false-positive', severity: 'SEV-3', summary: 'latency spike', sessions: ['binance/none'], declaredBy: 'test' }, 'test');
    const handle = t.client.workflow.getHandle(id);
    await handle.executeUpdate(falsePositiveUpdate, { args: [{ by: 'tg:42', reason: 'load test traffic' }] });
    const final = (await handle.result()) as IncidentStatus;
    expect(final).toMatchObject({ phase: 'closed', falsePositive: { by: 'tg:42', reason: 'load test traffic' } });
    expect(final.damage).toBeUndefined();
    expect(eventsOf(h.audit, 'incident_phase').some((e) => e.data.incident === id && String(e.data.note).includes('marked false positive by tg:42'))).toBe(true);
  });
});
