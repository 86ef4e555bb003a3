import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyAlertChannel, pagerDutySeverity } from '../adapters/alerts/pagerduty';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { createMetrics } from '../adapters/metrics';
import { AwsSecretSource, LocalFileSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { PagerDutyConfig } from '../config/schema';
import { incidentIdForCause, makeAlert } from '../domain/severity';
import { acknowledgeUpdate, falsePositiveUpdate, incidentStatusQuery } from '../contracts/incident';
import { incidentWorkflow } from '../workflows/incident';
import { openTempTrail, tempDir } from './helpers/audit';
import { motoClients } from './helpers/aws';
import { FAKE_ROUTING_KEY, startFakePagerDuty, type FakePagerDuty } from './helpers/fake-pagerduty';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

let fake: FakePagerDuty;
let trail: AuditTrail;
let logs: string[];
const waits: number[] = [];

const secrets = { getPagerDutyRoutingKey: async () => FAKE_ROUTING_KEY };
const config = (over: Partial<PagerDutyConfig> = {}) => PagerDutyConfig.parse({ apiUrl: fake.apiUrl, source: 'warden-test', ...over });
/** Backoffs recorded, not slept: the tests check what the channel waits for. */
const channel = (over: Partial<PagerDutyConfig> = {}, sleep: (ms: number) => Promise<void> = async (ms) => void waits.push(ms)) =>
  new PagerDutyAlertChannel({ secrets, config: config(over), sleep });

const breaker = () =>
  makeAlert('circuit_breaker_triggered', { message: 'binance/main: 5 failures in a row', at: '2025-01-15T14:00:00.000Z', scope: { exchange: 'binance', account: 'main' } });
const report = () => makeAlert('daily_report', { message: 'P&L +0.4%', at: '2025-01-15T00:00:00.000Z', scope: { subject: '2025-01-15' } });

function logger() {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  return createLogger({ level: 'debug', destination: stream });
}

/** The routing key may appear only as the value of `routing_key` in a request body. */
function expectNoSecretOutsideRoutingKey() {
  for (const r of fake.requests) {
    const body = JSON.parse(r.raw) as Record<string, unknown>;
    delete body.routing_key;
    expect(JSON.stringify(body)).not.toContain(FAKE_ROUTING_KEY);
  }
  expect(logs.join('')).not.toContain(FAKE_ROUTING_KEY);
  expect(JSON.stringify(trail.events())).not.toContain(FAKE_ROUTING_KEY);
}

beforeAll(async () => {
  fake = await startFakePagerDuty();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  fake.reset();
  waits.length = 0;
  logs = [];
  trail = await openTempTrail();
});
afterEach(async () => {
  expectNoSecretOutsideRoutingKey();
  await trail.close();
});

describe('PagerDuty channel (Events API v2) against a loopback fake', () => {
  it('triggers with the real schema, the desk severity mapped, and per-channel outcomes in the trail and metrics', async () => {
    const metrics = createMetrics();
    const log = logger();
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel()], audit: trail, logger: log, metrics });
    const a = breaker();
    expect(await router.route(a, 'test')).toEqual({ delivered: ['log', 'pagerduty'], failed: [], suppressed: false });
    const [event] = fake.events();
    expect(fake.requests.map((r) => r.status)).toEqual([202]);
    expect(event).toMatchObject({
      routing_key: FAKE_ROUTING_KEY,
      event_action: 'trigger',
      // The breaker opens an incident: the page is keyed by that incident.
      dedup_key: incidentIdForCause(a.dedupKey),
      payload: { severity: 'critical', source: 'warden-test', timestamp: a.at, component: 'binance/main', group: 'incident', class: 'circuit_breaker_triggered' },
    });
    expect(event!.event_action === 'trigger' && event!.payload.summary).toContain('Circuit breaker triggered: binance/main: 5 failures in a row');
    expect(trail.events().filter((e) => e.type === 'alert_delivery').map((e) => [e.data.channel, e.data.outcome])).toEqual([
      ['log', 'delivered'],
      ['pagerduty', 'delivered'],
    ]);
    expect(await metrics.registry.getSingleMetricAsString('warden_alert_deliveries_total')).toContain('warden_alert_deliveries_total{channel="pagerduty",outcome="delivered"} 1');
  });

  it('keys an alert outside any incident by its own dedup key, and maps severities', async () => {
    await channel().deliver('ℹ️ INFO: Daily report', report());
    expect(fake.events()[0]).toMatchObject({ dedup_key: 'daily_report:2025-01-15', payload: { severity: 'info', group: 'alert' } });
    expect(pagerDutySeverity({ severity: 'WARNING', incident: 'SEV-3' })).toBe('error');
    expect(pagerDutySeverity({ severity: 'WARNING', incident: 'SEV-4' })).toBe('warning');
    expect(pagerDutySeverity({ severity: 'WARNING' })).toBe('warning');
    expect(pagerDutySeverity({ severity: 'WARNING', incident: 'SEV-1' })).toBe('critical');
  });

  it('acknowledges and resolves with the dedup key the incident paged under', async () => {
    const id = 'incident/circuit_breaker_triggered:binance/main';
    const c = channel();
    await c.deliver('x', makeAlert('incident_update', { message: 'detection', at: '2025-01-15T14:00:01.000Z', scope: { subject: `${id}-1` }, incidentId: id }));
    expect(fake.state(id)).toBe('triggered');
    await c.incidentPhase({ incident: id, action: 'acknowledge', by: 'tg:1001', at: '2025-01-15T14:01:00.000Z', note: '' });
    expect(fake.state(id)).toBe('acknowledged');
    await c.incidentPhase({ incident: id, action: 'resolve', by: id, at: '2025-01-15T16:00:00.000Z', note: '' });
    expect(fake.state(id)).toBe('resolved');
    expect(fake.events().map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', id],
      ['acknowledge', id],
      ['resolve', id],
    ]);
  });

  it('honours a short Retry-After on 429 within the delivery (real wait)', async () => {
    fake.failNext(1, 429, 1);
    const started = Date.now();
    const realSleep = async (ms: number) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    };
    await channel({}, realSleep).deliver('x', breaker());
    expect(waits).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 202]);
  });

  it('leaves a long Retry-After to the durable retry: fails at once, and the retry goes to PagerDuty only', async () => {
    fake.failNext(1, 429, 120);
    const log = logger();
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel()], audit: trail, logger: log });
    const first = await router.route(breaker(), 'test');
    expect(first).toMatchObject({ delivered: ['log'], failed: ['pagerduty'] });
    expect(waits).toEqual([]);
    // What the sendAlert activity's retry does: route the same alert again.
    const second = await router.route(breaker(), 'test');
    expect(second).toMatchObject({ delivered: ['pagerduty'], failed: [] });
    expect(fake.requests.map((r) => r.status)).toEqual([429, 202]);
    expect(trail.events().filter((e) => e.type === 'alert_delivery').map((e) => [e.data.channel, e.data.outcome])).toEqual([
      ['log', 'delivered'],
      ['pagerduty', 'failed'],
      ['pagerduty', 'delivered'],
    ]);
    expect(trail.events().find((e) => e.type === 'alert_delivery' && e.data.outcome === 'failed')?.data.error).toMatch(/pagerduty: alert .* not delivered: 429/);
  });

  it('retries a 5xx with a short backoff, a bounded number of times', async () => {
    fake.failNext(2, 502);
    await channel().deliver('x', breaker());
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 202]);
    expect(waits).toEqual([250, 500]);

    fake.reset();
    waits.length = 0;
    fake.failNext(5, 503);
    await expect(channel({ maxAttempts: 3 }).deliver('x', breaker())).rejects.toThrow(/pagerduty: alert circuit_breaker_triggered:binance\/main not delivered: 503/);
    expect(fake.requests.map((r) => r.status)).toEqual([503, 503, 503]);
  });

  it('does not resend an invalid event (400), and says why', async () => {
    const bad = new PagerDutyAlertChannel({ secrets: { getPagerDutyRoutingKey: async () => 'X'.repeat(32) }, config: config(), sleep: async () => undefined });
    await expect(bad.deliver('x', breaker())).rejects.toThrow(/400: Event object is invalid; Unknown routing key/);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a network failure without the routing key', async () => {
    const closed = await startFakePagerDuty();
    await closed.close();
    const c = new PagerDutyAlertChannel({ secrets, config: PagerDutyConfig.parse({ apiUrl: closed.apiUrl, maxAttempts: 2 }), sleep: async () => undefined });
    const err = (await c.deliver('x', breaker()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not delivered: fetch failed: ECONNREFUSED/);
    expect(err.message).not.toContain(FAKE_ROUTING_KEY);
  });
});

describe('the routing key comes from the secrets store', () => {
  it('reads <prefix>/pagerduty/events from the paper file and from Secrets Manager, and validates it', async () => {
    const dir = tempDir('warden-pd-');
    writeFileSync(join(dir, 'paper-secrets.json'), JSON.stringify({ 'warden/pagerduty/events': { routing_key: FAKE_ROUTING_KEY } }));
    const paper = new CachedSecretsStore({ source: new LocalFileSecretSource(join(dir, 'paper-secrets.json'), 'paper'), prefix: 'warden', ttlSeconds: 60, audit: trail, accessedBy: 'test' });
    expect(await paper.getPagerDutyRoutingKey()).toBe(FAKE_ROUTING_KEY);

    const { secrets: sm } = motoClients();
    await sm.send(new CreateSecretCommand({ Name: 'desk1/pagerduty/events', SecretString: JSON.stringify({ routing_key: FAKE_ROUTING_KEY }) }));
    await sm.send(new CreateSecretCommand({ Name: 'desk2/pagerduty/events', SecretString: JSON.stringify({ routing_key: 'short' }) }));
    const aws = (prefix: string) => new CachedSecretsStore({ source: new AwsSecretSource(sm), prefix, ttlSeconds: 60, audit: trail, accessedBy: 'test' });
    expect(await aws('desk1').getPagerDutyRoutingKey()).toBe(FAKE_ROUTING_KEY);
    await expect(aws('desk2').getPagerDutyRoutingKey()).rejects.toThrow(/Secret desk2\/pagerduty\/events is malformed: routing_key: /);
    expect(trail.events().filter((e) => e.type === 'secret_access').map((e) => e.data.purpose)).toEqual(['pagerduty', 'pagerduty', 'pagerduty']);
  });
});

describe('incident phases drive the page (real Temporal)', () => {
  let t: TemporalHarness;
  let workerTrail: AuditTrail;

  beforeAll(async () => {
    t = await temporalHarness();
    // The worker outlives each test's trail: it writes to its own.
    workerTrail = await openTempTrail();
    const log = createLogger({ level: 'silent' });
    const pd = new PagerDutyAlertChannel({ secrets, config: PagerDutyConfig.parse({ apiUrl: fake.apiUrl, maxAttempts: 1 }) });
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), pd], audit: workerTrail, logger: log });
    await t.startWorker({ alerts: router, audit: workerTrail });
  });
  afterAll(async () => {
    await t?.close();
    expect(JSON.stringify(workerTrail.events())).not.toContain(FAKE_ROUTING_KEY);
    await workerTrail?.close();
  });

  const start = (id: string, severity: 'SEV-3' | 'SEV-4') =>
    t.client.workflow.start(incidentWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id,
      args: [{ cause: id, severity, summary: 'latency 900 ms', sessions: [], declaredBy: 'test', ackTimeoutSeconds: 60, containmentConfirmSeconds: 1, findingsTimeoutSeconds: 1, resumeTimeoutSeconds: 1 }],
    });

  it('pages on detection, acknowledges on the ack (after a PagerDuty outage, retried durably) and resolves on close, under one key', async () => {
    const id = `incident/pd-${Date.now()}`;
    const h = await start(id, 'SEV-3');
    await fake.waitForEvent((e) => e.event_action === 'trigger' && e.dedup_key === id);
    // PagerDuty is down when the acknowledgement comes: the runbook waits for it, no other channel is held up.
    fake.failNext(2, 503);
    await h.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:1001' }] });
    await fake.waitForEvent((e) => e.event_action === 'acknowledge' && e.dedup_key === id);
    expect(fake.requests.filter((r) => r.status === 503)).toHaveLength(2);
    const final = await h.result();
    expect(final.phase).toBe('closed');
    await fake.waitForEvent((e) => e.event_action === 'resolve' && e.dedup_key === id);
    expect(fake.state(id)).toBe('resolved');
    // Every runbook message re-triggered the same page; none opened another.
    expect(new Set(fake.events().filter((e) => e.dedup_key?.startsWith('incident/pd-')).map((e) => e.dedup_key))).toEqual(new Set([id]));
  });

  it('a false positive resolves the page without an acknowledgement', async () => {
    const id = `incident/fp-${Date.now()}`;
    const h = await start(id, 'SEV-4');
    await fake.waitForEvent((e) => e.event_action === 'trigger' && e.dedup_key === id);
    await h.executeUpdate(falsePositiveUpdate, { args: [{ by: 'tg:1001', reason: 'load test' }] });
    await waitFor(() => h.query(incidentStatusQuery), (s) => s.phase === 'closed');
    await fake.waitForEvent((e) => e.event_action === 'resolve' && e.dedup_key === id);
    expect(fake.events().filter((e) => e.dedup_key === id).map((e) => e.event_action)).not.toContain('acknowledge');
  });
});
