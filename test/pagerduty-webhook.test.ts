import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPagerDutyWebhook, verifyPagerDutySignature, type PagerDutyWebhookServer } from '../adapters/alerts/pagerduty-webhook';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { IncidentControl } from '../clients/incident-control';
import { WardenConfig } from '../config/schema';
import { incidentStatusQuery } from '../contracts/incident';
import { incidentWorkflow } from '../workflows/incident';
import { openTempTrail } from './helpers/audit';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const SECRET = 'whsec-pagerduty-webhook-for-warden-tests-0001';
let t: TemporalHarness;
let trail: AuditTrail;
let hook: PagerDutyWebhookServer;

const body = (incidentKey: string | null, eventType = 'incident.acknowledged') =>
  JSON.stringify({
    event: {
      id: `01EVT${Math.random().toString(36).slice(2, 10)}`,
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: new Date().toISOString(),
      agent: { id: 'PUSER01', summary: 'Alice Oncall', type: 'user_reference' },
      data: { id: 'Q1ABCDEF', type: 'incident', status: 'acknowledged', incident_key: incidentKey, title: 'x' },
    },
  });
const sign = (raw: string, secret = SECRET) => `v1=${createHmac('sha256', secret).update(raw).digest('hex')}`;
const post = (raw: string, signature?: string) =>
  fetch(hook.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-pagerduty-signature': signature } : {}) }, body: raw });
const commands = () => trail.events().filter((e) => e.type === 'operator_command' && e.data.command === 'pagerduty acknowledge');

beforeAll(async () => {
  t = await temporalHarness();
  trail = await openTempTrail();
  await t.startWorker({ audit: trail });
  const incidents = new IncidentControl(t.client, WardenConfig.parse({ profile: 'paper', temporal: { taskQueue: t.taskQueue } }));
  hook = await startPagerDutyWebhook({
    host: '127.0.0.1',
    port: 0,
    secret: async () => SECRET,
    acknowledge: async (id, by) => void (await incidents.acknowledge(id, { id: by, channel: 'pagerduty' })),
    audit: trail,
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  await hook?.close();
  await t?.close();
  expect(JSON.stringify(trail.events())).not.toContain(SECRET);
  await trail?.close();
});

describe('PagerDuty acknowledgement webhook', () => {
  it('checks the signature: one of several v1 signatures must be the body HMAC', () => {
    const raw = body('incident/x');
    expect(verifyPagerDutySignature(raw, sign(raw), SECRET)).toBe(true);
    expect(verifyPagerDutySignature(raw, `v1=${'0'.repeat(64)}, ${sign(raw)}`, SECRET)).toBe(true);
    expect(verifyPagerDutySignature(raw, sign(raw, 'another-secret-another-secret'), SECRET)).toBe(false);
    expect(verifyPagerDutySignature(raw, undefined, SECRET)).toBe(false);
  });

  it('an acknowledgement on PagerDuty acknowledges the incident workflow, audited; forgeries are refused', async () => {
    const id = `incident/pdack-${Date.now()}`;
    const h = await t.client.workflow.start(incidentWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id,
      args: [{ cause: id, severity: 'SEV-3', summary: 'latency', sessions: [], declaredBy: 'test', ackTimeoutSeconds: 600 }],
    });
    await waitFor(() => h.query(incidentStatusQuery), (s) => s.timeline.length > 0);

    const forged = body(id);
    expect((await post(forged, sign(forged, 'guessed-secret-guessed-secret'))).status).toBe(401);
    expect((await post(forged)).status).toBe(401);
    expect((await h.query(incidentStatusQuery)).acknowledgedBy).toBeUndefined();

    const raw = body(id);
    expect((await post(raw, sign(raw))).status).toBe(204);
    const st = await h.query(incidentStatusQuery);
    expect(st.acknowledgedBy).toBe('pd:PUSER01');
    expect(st.timeline.map((e) => e.event)).toContain('acknowledged by pd:PUSER01');
    expect(commands().map((e) => [e.data.outcome, e.data.channel])).toEqual([
      ['refused', 'pagerduty'],
      ['refused', 'pagerduty'],
      ['accepted', 'pagerduty'],
    ]);
    expect(commands()[2]!.data.detail).toContain('acknowledged on PagerDuty by Alice Oncall');
  });

  it('ignores other event types and pages that are not desk incidents; an unknown incident is a 503 so PagerDuty retries', async () => {
    const resolved = body('incident/whatever', 'incident.resolved');
    expect((await post(resolved, sign(resolved))).status).toBe(204);
    const foreign = body('db-cpu-high');
    expect((await post(foreign, sign(foreign))).status).toBe(204);
    const unknown = body('incident/never-opened');
    expect((await post(unknown, sign(unknown))).status).toBe(503);
    expect(commands().slice(-2).map((e) => e.data.outcome)).toEqual(['refused', 'failed']);
  });
});
