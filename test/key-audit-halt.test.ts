import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter, type AlertChannel } from '../adapters/alerts/router';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import { RiskConfig, WardenConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import type { Alert } from '../domain/severity';
import type { KeyPermissions } from '../simulator/types';
import { startSession } from '../workers/sessions';
import { incidentStatusQuery, incidentWorkflowId } from '../contracts/incident';
import type { KeyAuditReport } from '../contracts/key-audit';
import { keyAuditWorkflow } from '../workflows/key-audit';
import { resumeUpdate, statusQuery, type SessionInput } from '../contracts/session';
import { eventsOf } from './helpers/audit-read';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

class RecordingChannel implements AlertChannel {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async deliver(_text: string, alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
}

const ACCOUNT = 'kh1';
/** Has a key but no session: the audit must go on past it. */
const IDLE = 'kh2';
let h: ExchangeHarness;
let t: TemporalHarness;
let key: { apiKey: string; secret: string; passphrase?: string };
const channel = new RecordingChannel();

beforeAll(async () => {
  h = await ExchangeHarness.start(21);
  t = await temporalHarness();
  const config = WardenConfig.parse({
    profile: 'paper',
    temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue },
    // Nobody acknowledges here: no escalation rounds while the test runs.
    incidents: { ackTimeoutSeconds: 600 },
    exchanges: [{ exchange: 'binance', account: ACCOUNT }],
  });
  const desk = new TemporalDeskControl(t.client, config);
  const logger = createLogger({ level: 'silent' });
  // The worker's real wiring: alerts the catalogue ties to an incident open one.
  const alerts = new AlertRouter({ channels: [channel], audit: h.audit, logger, onIncident: (a) => desk.incident.openFromAlert(a) });
  key = h.addKey('binance', ACCOUNT);
  h.addKey('okx', IDLE);
  h.sim.setBalance('binance', ACCOUNT, 'USDT', 20_000);
  h.sim.setBalance('binance', ACCOUNT, 'BTC', 0.01);
  const secrets = h.secrets();
  const gateways = new CcxtGatewayProvider({ secrets, accounts: [...h.accounts(ACCOUNT), ...h.accounts(IDLE)], enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ secrets, gateways, audit: h.audit, alerts, sessionControl: desk, accounts: [{ exchange: 'binance', account: ACCOUNT }] });
});
afterAll(async () => {
  // The incidents this file opened wait hours for people: end them (the dev server is shared).
  if (t) {
    for await (const wf of t.client.workflow.list({ query: `WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running'` })) {
      if (wf.workflowId.includes(`/${ACCOUNT}`)) await t.client.workflow.getHandle(wf.workflowId).terminate('test cleanup');
    }
  }
  await t?.close();
  await h?.close();
});

/** What the venue says the key may do, as an operator would change it in the exchange's UI. */
function setKeyRights(rights: Partial<KeyPermissions>): void {
  h.sim.registerKey({ venue: 'binance', account: ACCOUNT, ...key, permissions: { read: true, trade: true, withdraw: false, transfer: false, ...rights }, ipWhitelist: ['127.0.0.1'] });
}

let auditRuns = 0;
/** What the daily `key-audit` schedule starts (workers/schedules.ts), run now. */
function runKeyAudit(accounts: Array<{ exchange: ExchangeId; account: string }>): Promise<KeyAuditReport> {
  return t.client.workflow.execute(keyAuditWorkflow, {
    taskQueue: t.taskQueue,
    workflowId: `key-audit-halt-test-${++auditRuns}-${Date.now()}`,
    args: [{ accounts, requestedBy: 'schedule:key-audit' }],
  });
}

describe('a CRITICAL key-audit finding halts the running session', () => {
  it('halts (key_audit), cancels orders at the venue, opens a SEV-1 incident; resume waits for a clean audit, then trading goes on', async () => {
    const price = h.sim.price('BTC/USDT');
    const input: SessionInput = {
      exchange: 'binance',
      account: ACCOUNT,
      symbols: ['BTC/USDT'],
      strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
      tickSeconds: 1,
    };
    const session = await startSession(t.client, t.taskQueue, input);
    const status = () => session.query(statusQuery);
    const openAtVenue = () => h.sim.orders('binance', ACCOUNT).filter((o) => o.status === 'open');
    await waitFor(async () => openAtVenue().length, (n) => n >= 2, 20_000, 'resting grid orders');
    // The session's own start audit was clean.
    expect((await status()).keyAudit?.last).toMatchObject({ critical: false });

    // Someone turns withdrawals on for the trading key at the venue; the daily audit runs.
    setKeyRights({ withdraw: true });
    const report = await runKeyAudit([
      { exchange: 'binance', account: ACCOUNT },
      { exchange: 'okx', account: IDLE },
    ]);
    expect(report.accounts.map((a) => [a.account, a.findings.map((f) => f.code), a.sessionSignalled])).toEqual([
      [ACCOUNT, ['withdraw_enabled'], true],
      [IDLE, ['ok'], false],
    ]);

    const halted = await waitFor(status, (s) => s.breaker.status === 'open', 20_000, 'breaker open');
    expect(halted.breaker).toMatchObject({ status: 'open', trippedBy: 'key_audit' });
    expect(halted.breaker.reason).toContain('Withdrawal permission enabled on Binance! Disable immediately.');
    expect(halted.keyAudit?.last).toMatchObject({ critical: true, findings: [{ code: 'withdraw_enabled', severity: 'CRITICAL' }] });
    await waitFor(async () => openAtVenue().length, (n) => n === 0, 15_000, 'orders cancelled at the venue');
    const breakerTrail = eventsOf(h.audit, 'circuit_breaker').filter((e) => e.data.session === `binance/${ACCOUNT}`);
    expect(breakerTrail.map((e) => e.data.state)).toEqual(['open']);

    // The key-audit incident: its cause names the key audit, SEV-1 because the key can move funds.
    const incidentId = incidentWorkflowId(`circuit_breaker_triggered:binance/${ACCOUNT}:key_audit`);
    const incident = await waitFor(
      () => t.client.workflow.getHandle(incidentId).query(incidentStatusQuery).catch(() => undefined),
      (s) => !!s?.damage,
      30_000,
      'key-audit incident contained',
    );
    expect(incident).toMatchObject({ severity: 'SEV-1', cause: `circuit_breaker_triggered:binance/${ACCOUNT}:key_audit`, damage: { sessions: [`binance/${ACCOUNT}`] } });
    expect(incident?.summary).toMatch(/Withdrawal permission enabled on Binance/);
    expect(channel.alerts.some((a) => a.name === 'circuit_breaker_triggered' && a.incident === 'SEV-1' && a.dedupKey.endsWith(':key_audit'))).toBe(true);

    // No operator re-arms it while the key can still withdraw.
    await expect(session.executeUpdate(resumeUpdate, { args: [{ by: 'op-1', reason: 'looks fine' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^key audit: a clean audit is required after .*`warden keys audit`.*`temporal schedule trigger --schedule-id key-audit`/) },
    });
    // Nor after an audit that still finds it: only a clean one counts.
    await runKeyAudit([{ exchange: 'binance', account: ACCOUNT }]);
    const stillBad = await waitFor(status, (s) => s.keyAudit?.last?.auditId !== halted.keyAudit?.last?.auditId, 15_000, 'second audit seen');
    expect(stillBad.keyAudit?.last?.critical).toBe(true);
    await expect(session.executeUpdate(resumeUpdate, { args: [{ by: 'op-1', reason: 'looks fine' }] })).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^key audit:/) } });
    const seq = (await status()).orderSeq;
    expect(openAtVenue()).toEqual([]);

    // The key is fixed at the venue and the audit comes back clean: the operator may re-arm.
    setKeyRights({ withdraw: false });
    const clean = await runKeyAudit([{ exchange: 'binance', account: ACCOUNT }]);
    expect(clean).toMatchObject({ critical: 0, accounts: [{ sessionSignalled: true }] });
    const cleaned = await waitFor(status, (s) => s.keyAudit?.last?.critical === false, 15_000, 'clean audit seen');
    expect(Date.parse(cleaned.keyAudit!.lastCleanAuditAt!)).toBeGreaterThan(Date.parse(halted.breaker.openedAt!));
    // The halt stands until then: a clean audit does not re-arm by itself.
    expect(cleaned.breaker).toMatchObject({ status: 'open', trippedBy: 'key_audit' });

    // Both gates hold: the SEV-1's containment isolated the credentials, so a plain resume is still refused;
    // only that incident's recovery step (its approveResume sends approvedBy) lifts it (issue 13).
    expect(cleaned.isolation?.incidents).toEqual([incidentId]);
    await expect(session.executeUpdate(resumeUpdate, { args: [{ by: 'op-1', reason: 'audit clean' }] })).rejects.toMatchObject({
      cause: { message: expect.stringContaining(`isolation: credentials isolated by SEV-1 incident ${incidentId}`) },
    });
    const resumed = await session.executeUpdate(resumeUpdate, { args: [{ by: 'op-1', reason: 'withdrawals disabled, audit clean', approvedBy: { incidentId } }] });
    expect(resumed.breaker).toMatchObject({ status: 'closed', rearmedBy: 'op-1' });
    expect(resumed.mode).toBe('trading');
    await waitFor(status, (s) => s.orderSeq > seq, 20_000, 'orders placed again');
    await waitFor(async () => openAtVenue().length, (n) => n > 0, 20_000, 'resting orders again');
    await session.terminate('test done');
  });
});
