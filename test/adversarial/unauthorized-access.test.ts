/**
 * Issue 13, item 1: SEV-1 `unauthorized_access` is kept for evidence that someone else is using the
 * desk's exchange keys, and each kind of evidence opens it end to end on the worker's real wiring
 * (alert router -> incident -> SEV-1 containment stops the session and isolates its credentials):
 * - an order under the desk's account that the desk did not place (reconciliation finds it);
 * - a whitelist entry nobody recorded, found by the key audit;
 * - the venue refusing the desk's call as coming from outside the key's IP whitelist (okx 50110, bybit 10010).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter, type AlertChannel } from '../../adapters/alerts/router';
import { CcxtGatewayProvider } from '../../adapters/exchange/provider';
import { createLogger } from '../../adapters/logger';
import { TemporalDeskControl } from '../../clients/temporal-desk-control';
import { RiskConfig, WardenConfig } from '../../config/schema';
import type { ExchangeId } from '../../domain/market';
import type { Alert } from '../../domain/severity';
import { startSession } from '../../workers/sessions';
import { incidentStatusQuery, incidentWorkflowId } from '../../contracts/incident';
import { keyAuditWorkflow } from '../../workflows/key-audit';
import { statusQuery } from '../../contracts/session';
import { eventsOf } from '../helpers/audit-read';
import { ExchangeHarness } from '../helpers/exchange';
import { clientFor } from '../helpers/simulator';
import { temporalHarness, type TemporalHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

class RecordingChannel implements AlertChannel {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async deliver(_text: string, alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
}

const ACCOUNTS: Array<{ exchange: ExchangeId; account: string }> = [
  { exchange: 'binance', account: 'ua1' },
  { exchange: 'okx', account: 'ua2' },
  { exchange: 'okx', account: 'ua3' },
  { exchange: 'bybit', account: 'ua4' },
  { exchange: 'bybit', account: 'ua5' },
];
let h: ExchangeHarness;
let t: TemporalHarness;
const channel = new RecordingChannel();
const keys = new Map<string, { apiKey: string; secret: string; passphrase?: string }>();

beforeAll(async () => {
  h = await ExchangeHarness.start(23);
  t = await temporalHarness();
  const config = WardenConfig.parse({
    profile: 'paper',
    temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue },
    incidents: { ackTimeoutSeconds: 600 },
    exchanges: ACCOUNTS,
  });
  const desk = new TemporalDeskControl(t.client, config);
  const logger = createLogger({ level: 'silent' });
  const alerts = new AlertRouter({ channels: [channel], audit: h.audit, logger, onIncident: (a) => desk.incident.openFromAlert(a) });
  for (const a of ACCOUNTS) {
    keys.set(`${a.exchange}/${a.account}`, h.addKey(a.exchange, a.account));
    h.sim.setBalance(a.exchange, a.account, 'USDT', 20_000);
    h.sim.setBalance(a.exchange, a.account, 'BTC', 0.01);
  }
  const secrets = h.secrets();
  const gateways = new CcxtGatewayProvider({ secrets, accounts: ACCOUNTS.flatMap((a) => h.accounts(a.account).filter((c) => c.exchange === a.exchange)), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ secrets, gateways, audit: h.audit, alerts, sessionControl: desk, accounts: ACCOUNTS });
});
afterAll(async () => {
  if (t) {
    for await (const wf of t.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
      if (ACCOUNTS.some((a) => wf.workflowId.includes(`${a.exchange}/${a.account}`))) await t.client.workflow.getHandle(wf.workflowId).terminate('test cleanup');
    }
  }
  await t?.close();
  await h?.close();
});

const input = (exchange: ExchangeId, account: string) => h.gridSession(exchange, account);

const key = (exchange: ExchangeId, account: string) => keys.get(`${exchange}/${account}`)!;
const openAt = (exchange: ExchangeId, account: string) => h.sim.orders(exchange, account).filter((o) => o.status === 'open');

/** What an account's SEV-1 looks like once its containment ran: the session stopped with its credentials isolated by that incident. */
async function expectContained(exchange: ExchangeId, account: string, subject?: string): Promise<void> {
  const cause = `unauthorized_access:${exchange}/${account}${subject ? `:${subject}` : ''}`;
  const alert = await waitFor(async () => channel.alerts.find((a) => a.dedupKey === cause), (a) => !!a, 30_000, `${cause} alert`);
  expect(alert).toMatchObject({ name: 'unauthorized_access', severity: 'CRITICAL', incident: 'SEV-1' });
  const incident = t.client.workflow.getHandle(incidentWorkflowId(cause));
  await waitFor(() => incident.query(incidentStatusQuery), (s) => s.severity === 'SEV-1' && !!s.damage, 30_000, `${cause} contained`);
  const session = t.client.workflow.getHandle(`session/${exchange}/${account}`);
  const st = await waitFor(() => session.query(statusQuery), (s) => s.mode === 'stopped' && !!s.isolation, 30_000, `${exchange}/${account} isolated`);
  expect(st.isolation?.incidents).toEqual([incidentWorkflowId(cause)]);
  expect(openAt(exchange, account)).toEqual([]);
}

describe('SEV-1 unauthorized_access: evidence that someone else uses the desk keys', () => {
  it('an order the desk did not place on its own account, seen while trading, is found by reconciliation and contained', async () => {
    const { exchange, account } = ACCOUNTS[0]!;
    await startSession(t.client, t.taskQueue, input(exchange, account));
    await waitFor(async () => openAt(exchange, account).length, (n) => n >= 2, 20_000, 'resting grid orders');
    // Someone with the desk's key places an order of their own at the venue.
    const intruder = clientFor(h.sim, { venue: exchange, ...key(exchange, account) });
    const theirs = await intruder.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.round(h.sim.price('BTC/USDT') * 0.5));
    await expectContained(exchange, account);
    const alert = channel.alerts.find((a) => a.dedupKey === `unauthorized_access:${exchange}/${account}`)!;
    expect(alert.message).toContain(String(theirs.id));
    expect(alert.message).toContain('that the desk did not place');
    const recon = eventsOf(h.audit, 'reconciliation').filter((e) => e.data.session === `${exchange}/${account}` && Array.isArray(e.data.intruders));
    expect(recon.map((e) => e.data.trigger)).toEqual(['an open order the desk did not place']);
    // Reported once: one alert however many ticks passed.
    expect(channel.alerts.filter((a) => a.dedupKey === `unauthorized_access:${exchange}/${account}`)).toHaveLength(1);
  });

  it('a whitelist entry nobody recorded, found by the key audit, is unauthorized access, not a finding to fix', async () => {
    const { exchange, account } = ACCOUNTS[1]!;
    await startSession(t.client, t.taskQueue, input(exchange, account));
    await waitFor(async () => openAt(exchange, account).length, (n) => n >= 2, 20_000, 'resting grid orders');
    // Someone adds their own address to the key's whitelist at the venue; the desk's own stays.
    h.sim.registerKey({ venue: exchange, account, ...key(exchange, account), permissions: { read: true, trade: true, withdraw: false, transfer: false }, ipWhitelist: ['127.0.0.1', '198.51.100.7'] });
    const report = await t.client.workflow.execute(keyAuditWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `ua-key-audit-${Date.now()}`,
      args: [{ accounts: [{ exchange, account }], requestedBy: 'schedule:key-audit' }],
    });
    expect(report.accounts[0]?.findings.map((f) => [f.severity, f.code]), JSON.stringify(report.accounts[0]?.findings)).toEqual([['CRITICAL', 'whitelist_entry_added']]);
    expect(report.accounts[0]?.findings[0]?.message).toContain('198.51.100.7');
    await expectContained(exchange, account, 'trading-whitelist_entry_added');
    expect(channel.alerts.some((a) => a.name === 'key_audit_finding' && a.dedupKey.includes(`/${account}`))).toBe(false);
  });

  it.each([
    ['okx', 'ua3', '50110'],
    ['bybit', 'ua4', '10010'],
  ] as const)('%s: the venue refusing a call from outside the whitelist (%s) opens the SEV-1 and halts the session', async (exchange, account, code) => {
    await startSession(t.client, t.taskQueue, input(exchange, account));
    await waitFor(async () => openAt(exchange, account).length, (n) => n >= 2, 20_000, 'resting grid orders');
    // The whitelist no longer holds the desk's address: every call is refused from now on.
    h.sim.registerKey({ venue: exchange, account, ...key(exchange, account), permissions: { read: true, trade: true, withdraw: false, transfer: false }, ipWhitelist: ['203.0.113.9'] });
    const cause = `unauthorized_access:${exchange}/${account}:ip-refused`;
    const alert = await waitFor(async () => channel.alerts.find((a) => a.dedupKey === cause), (a) => !!a, 30_000, `${cause} alert`);
    expect(alert!.message).toContain(code);
    // Containment completes although the venue refuses the cancels too: stopped and isolated, cancels retried every tick.
    const incident = t.client.workflow.getHandle(incidentWorkflowId(cause));
    const contained = await waitFor(() => incident.query(incidentStatusQuery), (s) => s.severity === 'SEV-1' && !!s.damage, 30_000, `${cause} contained`);
    expect(contained.damage?.cancelsPending).toEqual([`${exchange}/${account}`]);
    const session = t.client.workflow.getHandle(`session/${exchange}/${account}`);
    const st = await session.query(statusQuery);
    expect(st).toMatchObject({ mode: 'stopped', lastStop: { cancelPending: true }, isolation: { incidents: [incidentWorkflowId(cause)] } });
    // A halted session's calls keep being refused: one page, not one per call.
    expect(channel.alerts.filter((a) => a.dedupKey === cause)).toHaveLength(1);
  });

  it('an order without a desk id on an account shared with manual trading is only reported', async () => {
    const { exchange, account } = ACCOUNTS[4]!;
    const manual = clientFor(h.sim, { venue: exchange, ...key(exchange, account) });
    await manual.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.round(h.sim.price('BTC/USDT') * 0.5), { clientOrderId: 'my-hedge-1' });
    const shared = h.gridSession(exchange, account, { risk: RiskConfig.parse({ maxConcentrationPct: 100, foreignOrders: 'allowed' }) });
    const session = await startSession(t.client, t.taskQueue, shared);
    const st = await waitFor(() => session.query(statusQuery), (s) => s.reconciliation?.state === 'ok' && s.orderSeq > 0, 30_000, 'reconciled, then trading');
    expect(st.reconciliation?.foreign).toEqual(['my-hedge-1']);
    expect(st.mode).toBe('trading');
    expect(channel.alerts.some((a) => a.name === 'unauthorized_access' && a.dedupKey.includes(`/${account}`))).toBe(false);
  });
});
