/**
 * Timer logic at its default budgets, on Temporal's time-skipping test server: the rebalance's
 * day of half-hourly reminders and two-hour balance watch, a rotation's week of daily reminders
 * and day of hourly ones, an incident's twelve escalations and phase budgets, a placement's
 * twenty retries. Each runs in seconds: time moves only while a test awaits a result or
 * env.sleep(), and then jumps from timer to timer. The activities are the real ones, over the
 * simulator and local adapters. The dev-server suites (rebalance, rotation, incident, the
 * kill switch) keep the integration, crash and fault paths.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionControl } from '../activities/session-control';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import { GatewayError } from '../adapters/exchange/errors';
import { CcxtGatewayProvider, type GatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { LocalFileSecretRotator } from '../adapters/secrets/rotation';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import type { OrderIntent } from '../domain/market';
import { confirmTransferUpdate } from '../contracts/rebalance';
import { acknowledgeUpdate, approveResumeUpdate, incidentStatusQuery, recordFindingsUpdate, type IncidentInput } from '../contracts/incident';
import { pendingStoredUpdate, rotationStatusQuery } from '../contracts/rotation';
import { statusQuery, stopUpdate } from '../contracts/session';
import { startSession } from '../workers/sessions';
import { incidentWorkflow } from '../workflows/incident';
import { rebalanceWorkflow } from '../workflows/rebalance';
import { rotateCredentialWorkflow, rotationCheckWorkflow } from '../workflows/rotation';
import { eventsOf } from './helpers/audit-read';
import { daysAgo } from './helpers/clock';
import { ExchangeHarness } from './helpers/exchange';
import { scheduledActivityInputs } from './helpers/history';
import { timeSkippingHarness, type TimeSkippingHarness } from './helpers/time-skipping';
import { keyFingerprint } from '../adapters/secrets/fingerprint';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let h: ExchangeHarness;
let t: TimeSkippingHarness;
const contained: Array<{ sessions: string[]; isolate: boolean }> = [];

/** What the incident runbook asks of the sessions, recorded (no session runs here). */
const sessionControl: SessionControl = {
  stop: async (sessions, _by, _reason, isolate) => {
    contained.push({ sessions, isolate });
    return [];
  },
  resume: async () => [],
  status: async () => [],
};

/** The desk's activities for the procedures here: trail, alert router, paper secrets and their rotator, the simulator's venues. */
function procedureDeps(harness: ExchangeHarness, accounts: string[]) {
  const logger = createLogger({ level: 'silent' });
  const secrets = harness.secrets();
  return {
    audit: harness.audit,
    secrets,
    gateways: new CcxtGatewayProvider({ secrets, accounts: accounts.flatMap((a) => harness.accounts(a)), enableRateLimit: false, timeoutMs: 3000 }),
    rotator: new LocalFileSecretRotator(join(harness.stateDir, PAPER_SECRETS_FILE), 'paper'),
    alerts: new AlertRouter({ channels: [new LogAlertChannel(logger)], audit: harness.audit, logger }),
    sessionControl,
    escalation: [1001, 1002],
  };
}

beforeAll(async () => {
  h = await ExchangeHarness.start(31);
  t = await timeSkippingHarness();
  await t.startWorker(procedureDeps(h, ['rb1', 'rb2', 'rot1', 'rot2', 'inc1', 'inc2']));
});
afterAll(async () => {
  await t?.close();
  await h?.close();
});

/** How long a closed workflow ran, in workflow (server) time. */
async function ranFor(handle: WorkflowHandle): Promise<number> {
  const d = await handle.describe();
  return d.closeTime!.getTime() - d.startTime.getTime();
}

const alertsMentioning = (text: string) => eventsOf(h.audit, 'alert').filter((e) => String(e.data.message).includes(text));
const times = (n: number, s: string) => Array<string>(n).fill(s);

describe('rebalance: the operator wait at its defaults (reminder every 30 min, escalation at 2 h, give up at 24 h)', () => {
  const start = (account: string) =>
    t.client.workflow.start(rebalanceWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `rebalance/binance/${account}/1`,
      args: [{ exchange: 'binance', account, symbols: ['BTC/USDT'], warmBalanceUsd: 3000, thresholdUsd: 5000, coldUsd: 100_000, hotUsd: 1000, operators: ['tg:42'] }],
    });
  const steps = (id: string) => eventsOf(h.audit, 'rebalance_step').filter((e) => e.data.rebalance === id);

  it('nobody answers: 46 reminders and one escalation, then it gives up at 24 h without a last reminder', async () => {
    const rebalance = await start('rb1');
    expect(await rebalance.result()).toMatchObject({ status: 'timed_out' });
    expect(await ranFor(rebalance)).toBeGreaterThanOrEqual(DAY);
    expect(await ranFor(rebalance)).toBeLessThan(DAY + MIN);
    const trail = steps(rebalance.workflowId);
    // Nudges at 30 min, 1 h, ... 23 h 30; the one at 2 h escalates; at 24 h it gives up.
    expect(trail.map((e) => e.data.step)).toEqual(['detected', 'operator_alerted', ...times(3, 'reminder'), 'escalated', ...times(43, 'reminder'), 'timed_out']);
    expect(trail.find((e) => e.data.step === 'escalated')?.data.detail).toBe('no answer after 2 h');
    expect(trail.filter((e) => e.data.step === 'reminder').map((e) => e.data.detail).slice(0, 3)).toEqual(['waiting 30 min', 'waiting 1 h', 'waiting 2 h']);

    const alerts = alertsMentioning('binance/rb1:');
    expect(alerts.filter((a) => String(a.data.message).startsWith('Reminder: ')).map((a) => a.data.severity)).toEqual(times(46, 'WARNING'));
    expect(alerts.filter((a) => String(a.data.message).startsWith('ESCALATION: ')).map((a) => a.data.severity)).toEqual(['CRITICAL']);
    expect(alerts.at(-1)?.data).toMatchObject({ severity: 'CRITICAL', message: 'binance/rb1: nobody confirmed the transfer in time; trading stays paused' });
  });

  it('confirmed after 3 h: the reminders stop, the balance is polled every 30 s for 2 h, and the transfer that never shows times out', async () => {
    h.addKey('binance', 'rb2');
    h.sim.setBalance('binance', 'rb2', 'USDT', 3000);
    const rebalance = await start('rb2');
    await t.env.sleep(3 * HOUR + 10 * MIN);
    expect(steps(rebalance.workflowId).map((e) => e.data.step)).toEqual(['detected', 'operator_alerted', ...times(3, 'reminder'), 'escalated', ...times(2, 'reminder')]);
    await rebalance.executeUpdate(confirmTransferUpdate, { args: [{ by: 'tg:42', amountUsd: 17_000, reference: 'binance-tx-1' }] });
    expect(await rebalance.result()).toMatchObject({ status: 'timed_out' });
    expect(steps(rebalance.workflowId).map((e) => e.data.step).slice(-3)).toEqual(['reminder', 'transfer_confirmed', 'balance_not_seen']);
    // One read at the confirmation, then one every 30 s until the 2 h are up.
    expect(await scheduledActivityInputs(rebalance, 'snapshotAccount')).toHaveLength(1 + (2 * HOUR) / (30 * 1000));
    expect(alertsMentioning('binance/rb2: the confirmed transfer did not show up (balance 3000.00 USD)').map((a) => a.data.severity)).toEqual(['CRITICAL']);
  });
});

/** A rotation's steps as its config_change events name them. */
const rotationSteps = (account: string) =>
  eventsOf(h.audit, 'config_change')
    .filter((e) => e.data.parameter === `credential/binance/${account}/trading`)
    .map((e) => String(e.data.reason).split(':')[0]);
const paperSecret = (name: string) => (JSON.parse(readFileSync(join(h.stateDir, PAPER_SECRETS_FILE), 'utf8')) as Record<string, { api_key: string }>)[name];

describe('credential rotation at its defaults', () => {
  const rotate = (account: string) =>
    t.client.workflow.start(rotateCredentialWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `rotate/binance/${account}/trading`,
      args: [{ exchange: 'binance', account, purpose: 'trading', symbols: ['BTC/USDT'], reason: 'due' }],
    });

  it('nobody stages a key: a reminder a day, the escalation on day 3, and it gives up on day 7; the current key stays', async () => {
    const current = h.addKey('binance', 'rot1', { createdAt: daysAgo(100) });
    const rotation = await rotate('rot1');
    expect(await rotation.result()).toMatchObject({ status: 'timed_out', currentKey: keyFingerprint(current.apiKey) });
    expect(await ranFor(rotation)).toBeGreaterThanOrEqual(7 * DAY);
    expect(await ranFor(rotation)).toBeLessThan(7 * DAY + MIN);
    expect(rotationSteps('rot1')).toEqual(['started', 'reminder', 'reminder', 'escalated', 'reminder', 'reminder', 'reminder', 'timed_out']);
    const escalations = alertsMentioning('binance/rot1/trading: ESCALATION: rotate the trading key');
    expect(escalations.map((a) => a.data.severity)).toEqual(['CRITICAL']);
    expect(paperSecret('warden/binance/rot1/trading')?.api_key).toBe(current.apiKey);
  });

  it('staged on day 2, promoted and verified; after the 5 min cache settle nobody confirms the revocation: hourly reminders, escalation at 4 h, unconfirmed at 24 h', async () => {
    const old = h.addKey('binance', 'rot2', { createdAt: daysAgo(100) });
    h.sim.setBalance('binance', 'rot2', 'USDT', 1000);
    const rotation = await rotate('rot2');
    await t.env.sleep(DAY + HOUR);
    expect(rotationSteps('rot2')).toEqual(['started', 'reminder']);
    const fresh = h.addKey('binance', 'rot2', { pending: true });
    await rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: 'tg:42' }] });
    const done = await rotation.result();
    expect(done).toMatchObject({ status: 'revocation_unconfirmed', pendingKey: keyFingerprint(fresh.apiKey), stagedBy: 'tg:42' });
    expect(done.outcome).toBe(`nobody confirmed revoking the old key ${keyFingerprint(old.apiKey)}; it may still be live at Binance`);
    // The day waited for the staged key, the cache settle, then the whole revocation budget.
    const ran = await ranFor(rotation);
    expect(ran).toBeGreaterThanOrEqual(DAY + HOUR + 5 * MIN + DAY);
    expect(ran).toBeLessThan(DAY + HOUR + 5 * MIN + DAY + MIN);
    expect(rotationSteps('rot2')).toEqual([
      'started',
      'reminder',
      'pending_stored',
      'pending_audited',
      'promoted',
      'cache_invalidated',
      'verified',
      'revocation_requested',
      ...times(3, 'reminder'),
      'escalated',
      ...times(19, 'reminder'),
      'revocation_unconfirmed',
    ]);
    // The new key went live; only the revocation of the old one is left undone.
    expect(paperSecret('warden/binance/rot2/trading')?.api_key).toBe(fresh.apiKey);
    expect(alertsMentioning("binance/rot2/trading: ESCALATION: the new key").map((a) => a.data.severity)).toEqual(['CRITICAL']);
  });
});

describe('incident runbook at the seed phase budgets (5 min acknowledgement rounds, 15 min, 2 h, 22 h)', () => {
  const open = (severity: IncidentInput['severity'], account: string) =>
    t.client.workflow.start(incidentWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `incident/test-${account}`,
      args: [{ cause: `test:${account}`, severity, summary: 'latency spike', sessions: [`binance/${account}`], declaredBy: 'test' }],
    });
  const escalationNotes = (timeline: Array<{ at: string; event: string }>) => timeline.filter((e) => / escalation \d+$/.test(e.event));

  it('SEV-3 nobody answers: twelve escalations 5 min apart, then containment, findings and resume each wait out their budget, and it closes with a report', async () => {
    const incident = await open('SEV-3', 'inc1');
    const done = await incident.result();
    expect(done.phase).toBe('closed');
    expect(await ranFor(incident)).toBeGreaterThanOrEqual(HOUR + 15 * MIN + 2 * HOUR + 22 * HOUR);
    expect(await ranFor(incident)).toBeLessThan(HOUR + 15 * MIN + 2 * HOUR + 22 * HOUR + MIN);
    const escalations = escalationNotes(done.timeline);
    expect(escalations.map((e) => e.event)).toEqual(Array.from({ length: 12 }, (_, i) => `not acknowledged in ${i === 11 ? '1 h' : `${5 * (i + 1)} min`}: escalation ${i + 1}`));
    // Workflow time: each round is one 5 min budget after the one before.
    const gaps = escalations.map((e, i) => Date.parse(e.at) - Date.parse(i ? escalations[i - 1]!.at : done.openedAt));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(5 * MIN), expect(gap).toBeLessThan(5 * MIN + 10_000);
    const pages = alertsMentioning(`SEV-3 ${incident.workflowId} is not acknowledged`).map((a) => String(a.data.message).split(': SEV-3')[0]);
    expect(pages).toEqual(Array.from({ length: 12 }, (_, i) => `ESCALATION ${i + 1} to tg:1001, tg:1002`));
    const events = done.timeline.map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining([
        'containment not confirmed in 15 min: sessions keep running',
        'no findings recorded within 2 h',
        'no resume approval within the recovery window: trading stays stopped',
        'closed: recovered',
      ]),
    );
    // A SEV-3 is only proposed for containment: unanswered, nothing was stopped.
    expect(contained.filter((c) => c.sessions.includes('binance/inc1'))).toEqual([]);
    expect(readFileSync(done.reportKey!, 'utf8')).toContain('## Timeline');
  });

  it('SEV-2 contained at once; acknowledged after the third round, it escalates no more', async () => {
    const incident = await open('SEV-2', 'inc2');
    await t.env.sleep(16 * MIN);
    const before = await incident.query(incidentStatusQuery);
    expect(before.acknowledgedBy).toBeUndefined();
    expect(escalationNotes(before.timeline).map((e) => e.event)).toEqual(['not acknowledged in 5 min: escalation 1', 'not acknowledged in 10 min: escalation 2', 'not acknowledged in 15 min: escalation 3']);
    expect(contained.filter((c) => c.sessions.includes('binance/inc2'))).toEqual([{ sessions: ['binance/inc2'], isolate: false }]);
    await incident.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:42' }] });
    await t.env.sleep(HOUR);
    const acked = await incident.query(incidentStatusQuery);
    expect(acked).toMatchObject({ acknowledgedBy: 'tg:42', phase: 'investigation' });
    expect(escalationNotes(acked.timeline)).toHaveLength(3);
    await incident.executeUpdate(recordFindingsUpdate, { args: [{ by: 'tg:42', findings: 'venue latency', rootCause: 'venue maintenance', keysCompromised: false }] });
    await incident.executeUpdate(approveResumeUpdate, { args: [{ by: 'tg:42', reason: 'venue back' }] });
    const done = await incident.result();
    expect(done.phase).toBe('closed');
    expect(done.timeline.map((e) => e.event)).toContain('trading resumed, approved by tg:42');
    expect(alertsMentioning(`SEV-2 ${incident.workflowId} is not acknowledged`)).toHaveLength(3);
  });
});

describe('rotation check: the rotation it starts outlives it', () => {
  // Its own server: an abandoned child's completion stops time skipping on the test server
  // (temporalio/sdk-java#2392), so nothing may run here after the rotation ends.
  let own: TimeSkippingHarness;
  beforeAll(async () => {
    own = await timeSkippingHarness();
    await own.startWorker(procedureDeps(h, ['rot3']));
  });
  afterAll(async () => own?.close());

  it('the check starts the stale key its rotation; on day 3 the next check finds it running; nobody stages, and it times out on day 7', async () => {
    h.addKey('binance', 'rot3', { createdAt: daysAgo(100) });
    const check = (workflowId: string) =>
      own.client.workflow.execute(rotationCheckWorkflow, {
        taskQueue: own.taskQueue,
        workflowId,
        args: [{ accounts: [{ exchange: 'binance', account: 'rot3', symbols: ['BTC/USDT'] }], operators: ['tg:42'] }],
      });
    const id = 'rotate/binance/rot3/trading';
    expect((await check('rotation-check/day-0')).checked).toEqual([expect.objectContaining({ purpose: 'trading', due: true, ageDays: 100, rotation: { workflowId: id, state: 'started' } })]);
    await own.env.sleep(3 * DAY + HOUR);
    expect((await check('rotation-check/day-3')).checked[0]?.rotation).toEqual({ workflowId: id, state: 'already_running' });
    const rotation = own.client.workflow.getHandle(id);
    expect((await rotation.query(rotationStatusQuery)).status).toBe('awaiting_pending');
    expect(await rotation.result()).toMatchObject({ status: 'timed_out' });
    expect(await ranFor(rotation)).toBeGreaterThanOrEqual(7 * DAY);
    expect(await ranFor(rotation)).toBeLessThan(7 * DAY + MIN);
    expect(rotationSteps('rot3')).toEqual(['started', 'reminder', 'reminder', 'escalated', 'reminder', 'reminder', 'reminder', 'timed_out']);
  });
});

describe('session: a placement whose retries run out with the outcome unknown, at the breaker threshold', () => {
  // Its own server: the session never ends, and every skip elsewhere would tick it.
  let own: TimeSkippingHarness;
  const attempts: string[] = [];
  beforeAll(async () => {
    own = await timeSkippingHarness();
    h.addKey('binance', 'brk');
    h.sim.setBalance('binance', 'brk', 'USDT', 20_000);
    h.sim.setBalance('binance', 'brk', 'BTC', 0.5);
    const deps = procedureDeps(h, ['brk']);
    const venue = deps.gateways;
    // The venue never says whether an order landed: every placement attempt is an unknown outcome.
    const gateways: GatewayProvider = {
      async gateway(exchange, account, purpose, stage) {
        const real = await venue.gateway(exchange, account, purpose, stage);
        return new Proxy(real, {
          get(target, prop, receiver) {
            if (prop !== 'placeOrder') return Reflect.get(target, prop, receiver) as unknown;
            return async (_intent: OrderIntent, clientOrderId: string) => {
              attempts.push(clientOrderId);
              throw new GatewayError('unknown_outcome', exchange, 'RequestTimeout', `${exchange}: order ${clientOrderId}: no answer`);
            };
          },
        });
      },
    };
    await own.startWorker({ ...deps, gateways });
  });
  afterAll(async () => own?.close());

  it('halts (breaker open), cancels, and still answers and ticks: the failure is counted once the placement has left flight', async () => {
    // Before, the placement counted its failure inside its own try: the halt's cancel waited for placements in flight, itself included, and the tick hung.
    const session = await startSession(own.client, own.taskQueue, h.gridSession('binance', 'brk', { failureThreshold: 1, tickSeconds: 60 }));
    // 20 attempts, each after the last one's request window: about 2 min of workflow time.
    await own.env.sleep(10 * MIN);
    const halted = await session.query(statusQuery);
    expect(attempts).toHaveLength(20);
    expect(new Set(attempts).size).toBe(1);
    expect(halted.breaker).toMatchObject({ status: 'open', trippedBy: 'exchange_failures', reason: '1 consecutive exchange failures (threshold 1)' });
    // The halt's alert goes out after its cancel-all has returned.
    expect(alertsMentioning('binance/brk: 1 consecutive exchange failures (threshold 1); 0 open order(s) cancelled; trading halted until an operator resumes')).toHaveLength(1);
    expect(await scheduledActivityInputs(session, 'cancelAllOrders')).toEqual([expect.objectContaining({ reason: 'circuit breaker: 1 consecutive exchange failures (threshold 1)' })]);
    await own.env.sleep(5 * MIN);
    const later = await session.query(statusQuery);
    expect(later.ticks).toBeGreaterThan(halted.ticks);
    expect(later.orderSeq).toBe(halted.orderSeq);
    // The kill switch still goes through.
    const stopped = await session.executeUpdate(stopUpdate, { args: [{ by: 'tg:42', reason: 'test over', stopId: 'stop/brk' }] });
    expect(stopped.status.mode).toBe('stopped');
    await session.terminate('test over');
  });
});
