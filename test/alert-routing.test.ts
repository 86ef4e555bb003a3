import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIncidentActivities } from '../activities/incidents';
import { EmailAlertChannel } from '../adapters/alerts/email';
import { PagerDutyAlertChannel } from '../adapters/alerts/pagerduty';
import { AlertRouter, LogAlertChannel, type AlertChannel } from '../adapters/alerts/router';
import { TelegramAlertChannel } from '../adapters/alerts/telegram';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { createMetrics } from '../adapters/metrics';
import { AlertsConfig, EmailConfig, PagerDutyConfig, WardenConfig } from '../config/schema';
import { DEFAULT_ALERT_ROUTES, describeEscalation, makeAlert, type AlertSeverity } from '../domain/severity';
import { acknowledgeUpdate } from '../contracts/incident';
import { incidentWorkflow } from '../workflows/incident';
import { openTempTrail } from './helpers/audit';
import { FAKE_ROUTING_KEY, startFakePagerDuty, type FakePagerDuty } from './helpers/fake-pagerduty';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram';
import { SMTP_PASSWORD, SMTP_USER, startSmtpServer, type SmtpServer } from './helpers/smtp-server';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';
import { workerDeps } from './helpers/worker-deps';

const CHAT = -1001234500018;
let tg: FakeTelegram;
let pd: FakePagerDuty;
let smtp: SmtpServer;
let trail: AuditTrail;
const log = createLogger({ level: 'silent' });

function channels(): AlertChannel[] {
  return [
    new LogAlertChannel(log),
    new TelegramAlertChannel({ secrets: { getTelegramToken: async () => tg.token }, chatId: CHAT, apiRoot: tg.apiRoot }),
    new PagerDutyAlertChannel({ secrets: { getPagerDutyRoutingKey: async () => FAKE_ROUTING_KEY }, config: PagerDutyConfig.parse({ apiUrl: pd.apiUrl, maxAttempts: 1 }) }),
    new EmailAlertChannel({
      secrets: { getSmtpCredentials: async () => ({ username: SMTP_USER, password: SMTP_PASSWORD }) },
      config: EmailConfig.parse({ host: smtp.host, port: smtp.port, from: 'warden@desk.example.com', to: ['oncall@desk.example.com'], caFile: smtp.caFile }),
    }),
  ];
}

const alertAt = (severity: AlertSeverity, at: string) =>
  severity === 'CRITICAL'
    ? makeAlert('circuit_breaker_triggered', { message: 'breaker', at, scope: { exchange: 'okx', account: 'r1' } })
    : severity === 'WARNING'
      ? makeAlert('high_latency', { message: 'p99 900 ms', at, scope: { exchange: 'okx', account: 'r1' } })
      : makeAlert('daily_report', { message: 'P&L +0.1%', at, scope: { subject: at.slice(0, 10) } });

beforeAll(async () => {
  [tg, pd, smtp] = await Promise.all([startFakeTelegram(), startFakePagerDuty(), startSmtpServer()]);
});
afterAll(async () => {
  await Promise.all([tg?.close(), pd?.close(), smtp?.stop()]);
});
beforeEach(async () => {
  tg.reset();
  pd.reset();
  trail = await openTempTrail();
});
afterEach(async () => {
  for (const secret of [FAKE_ROUTING_KEY, SMTP_PASSWORD, tg.token]) expect(JSON.stringify(trail.events())).not.toContain(secret);
  await trail.close();
});

describe('routing by alert level', () => {
  it('defaults to CRITICAL: telegram+pagerduty+email, WARNING: telegram+email, INFO: email, the log always; metrics per channel', async () => {
    const metrics = createMetrics();
    const routes = AlertsConfig.parse({}).routes;
    expect(routes).toEqual(DEFAULT_ALERT_ROUTES);
    const router = new AlertRouter({ channels: channels(), audit: trail, logger: log, routes, metrics });
    const got: Record<string, string[]> = {};
    for (const severity of ['CRITICAL', 'WARNING', 'INFO'] as const) got[severity] = (await router.route(alertAt(severity, `2025-01-15T1${severity.length}:00:00.000Z`), 'test')).delivered;
    expect(got).toEqual({ CRITICAL: ['log', 'telegram', 'pagerduty', 'email'], WARNING: ['log', 'telegram', 'email'], INFO: ['log', 'email'] });
    expect(pd.events()).toHaveLength(1);
    expect(tg.sentTo(CHAT)).toHaveLength(2);
    const text = await metrics.registry.getSingleMetricAsString('warden_alert_deliveries_total');
    expect(text).toContain('warden_alert_deliveries_total{channel="email",outcome="delivered"} 3');
    expect(text).toContain('warden_alert_deliveries_total{channel="pagerduty",outcome="delivered"} 1');
    expect(trail.events().filter((e) => e.type === 'alert_delivery')).toHaveLength(9);
  });

  it('routes only among configured channels', async () => {
    const routes = AlertsConfig.parse({ routes: { INFO: ['email', 'telegram'] } }).routes;
    const [logCh, telegram] = channels();
    const router = new AlertRouter({ channels: [logCh!, telegram!], audit: trail, logger: log, routes });
    expect((await router.route(alertAt('INFO', '2025-01-16T00:00:00.000Z'), 'test')).delivered).toEqual(['log', 'telegram']);
  });

  it('validates routes and the escalation list', () => {
    expect(() => AlertsConfig.parse({ routes: { CRITICAL: ['sms'] } })).toThrow(/must be one of telegram, pagerduty, email/);
    expect(() => AlertsConfig.parse({ escalation: [{ name: 'Nobody' }] })).toThrow(/must name at least one of telegram, email, pagerduty/);
    expect(() => AlertsConfig.parse({ escalation: [{ name: 'Al', email: 'not-an-address' }] })).toThrow(/must be an email address/);
    const ok = WardenConfig.parse({ profile: 'paper', alerts: { escalation: [1001, { name: 'Alice', telegram: 1002, email: 'alice@desk.example.com', pagerduty: 'PABC123' }] } });
    expect(describeEscalation(ok.alerts.escalation)).toBe('tg:1001, Alice (telegram 1002, pagerduty PABC123, email alice@desk.example.com)');
  });
});

describe('escalation names people per channel', () => {
  it('the escalation message names them, email copies them, PagerDuty carries them in its details', async () => {
    const router = new AlertRouter({ channels: channels(), audit: trail, logger: log, routes: DEFAULT_ALERT_ROUTES });
    const deps = await workerDeps({ alerts: router, audit: trail, escalation: [1001, { name: 'Alice', email: 'alice@desk.example.com', pagerduty: 'PABC123' }] });
    const acts = createIncidentActivities({ ...deps, workerIdentity: 'test' });
    const out = await acts.escalate({ incident: 'incident/esc-1', severity: 'SEV-2', summary: 'venue down', round: 1 });
    expect(out.delivered).toEqual(['log', 'telegram', 'pagerduty', 'email']);
    expect(tg.sentTo(CHAT)[0]).toContain('ESCALATION 1 to tg:1001, Alice (pagerduty PABC123, email alice@desk.example.com)');
    const page = await pd.waitForEvent((e) => e.dedup_key === 'incident/esc-1');
    expect(page.event_action === 'trigger' && page.payload.custom_details).toMatchObject({ escalate_to: 'tg:1001, Alice (pagerduty PABC123, email alice@desk.example.com)' });
    const mail = await smtp.waitForMessage((m) => m.body.includes('incident/esc-1'));
    expect(mail.to).toEqual(['oncall@desk.example.com', 'alice@desk.example.com']);
  });
});

describe('a SEV-1 incident on the real dev server', () => {
  let t: TemporalHarness;
  let workerTrail: AuditTrail;

  beforeAll(async () => {
    t = await temporalHarness();
    workerTrail = await openTempTrail();
    await t.startWorker({ alerts: new AlertRouter({ channels: channels(), audit: workerTrail, logger: log, routes: DEFAULT_ALERT_ROUTES }), audit: workerTrail });
  });
  afterAll(async () => {
    await t?.close();
    await workerTrail?.close();
  });

  it('pages on PagerDuty, emails and posts to Telegram; the acknowledgement reaches PagerDuty', async () => {
    const id = `incident/sev1-${Date.now()}`;
    const h = await t.client.workflow.start(incidentWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id,
      args: [{ cause: id, severity: 'SEV-1', summary: 'API key compromised', sessions: [], declaredBy: 'test', ackTimeoutSeconds: 600 }],
    });
    const page = await pd.waitForEvent((e) => e.event_action === 'trigger' && e.dedup_key === id);
    expect(page.event_action === 'trigger' && page.payload.severity).toBe('critical');
    await smtp.waitForMessage((m) => m.body.includes(id) && m.body.includes('API key compromised'));
    await tg.waitForCall((c) => c.method === 'sendMessage' && String(c.payload.text).includes(id));
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:1001' }] });
    await pd.waitForEvent((e) => e.event_action === 'acknowledge' && e.dedup_key === id);
    expect(pd.state(id)).toBe('acknowledged');
    // The trail records the outcome once PagerDuty has answered: wait for it, not for the fake.
    await waitFor(
      async () => workerTrail.events().some((e) => e.type === 'alert_delivery' && e.data.channel === 'pagerduty' && e.data.kind === 'acknowledge' && e.data.outcome === 'delivered'),
      (v) => v,
      10_000,
      'acknowledge audited',
    );
  });
});
