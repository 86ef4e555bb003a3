/**
 * Issue 13, item 1, end to end: a stranger's messages to the operator bot while three sessions trade
 * (real sessions, real bot over a fake Bot API, the worker's real alert wiring that opens incidents)
 * leave every session trading and yield one WARNING: no incident, no containment, no isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter, type AlertChannel } from '../../adapters/alerts/router';
import { CcxtGatewayProvider } from '../../adapters/exchange/provider';
import { createLogger } from '../../adapters/logger';
import { createMetrics } from '../../adapters/metrics';
import { TemporalDeskControl } from '../../clients/temporal-desk-control';
import { WardenConfig } from '../../config/schema';
import type { ExchangeId } from '../../domain/market';
import type { Alert } from '../../domain/severity';
import { createOperatorBot, type OperatorBot } from '../../operator/telegram/bot';
import { startSession } from '../../workers/sessions';
import { statusQuery, type SessionStatus } from '../../contracts/session';
import { eventsOf } from '../helpers/audit-read';
import { ExchangeHarness, VENUE_IDS } from '../helpers/exchange';
import { startFakeTelegram, textUpdate, type FakeTelegram } from '../helpers/fake-telegram';
import { temporalHarness, type TemporalHarness } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

class RecordingChannel implements AlertChannel {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async deliver(_text: string, alert: Alert): Promise<void> {
    this.alerts.push(alert);
  }
}

const CHAT = -1009876543210;
const OPERATOR = 424242;
const STRANGER = 777001;
const ACCOUNT = 'sc1';
let h: ExchangeHarness;
let t: TemporalHarness;
let fake: FakeTelegram;
let ob: OperatorBot;
const channel = new RecordingChannel();
const incidentsOpened: Alert[] = [];

beforeAll(async () => {
  h = await ExchangeHarness.start(29);
  t = await temporalHarness();
  fake = await startFakeTelegram();
  const config = WardenConfig.parse({
    profile: 'paper',
    temporal: { address: '127.0.0.1:1', taskQueue: t.taskQueue },
    incidents: { ackTimeoutSeconds: 600 },
    exchanges: VENUE_IDS.map((exchange) => ({ exchange, account: ACCOUNT })),
  });
  const desk = new TemporalDeskControl(t.client, config);
  const logger = createLogger({ level: 'silent' });
  // The worker's and the bot's real wiring: an alert the catalogue ties to an incident opens one.
  const alerts = new AlertRouter({
    channels: [channel],
    audit: h.audit,
    logger,
    onIncident: async (a) => {
      incidentsOpened.push(a);
      await desk.incident.openFromAlert(a);
    },
  });
  h.fundAccount(ACCOUNT, { USDT: 20_000, BTC: 0.01 });
  const secrets = h.secrets();
  const gateways = new CcxtGatewayProvider({ secrets, accounts: h.accounts(ACCOUNT), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ secrets, gateways, audit: h.audit, alerts, sessionControl: desk, accounts: VENUE_IDS.map((exchange) => ({ exchange, account: ACCOUNT })) });
  ob = createOperatorBot({
    token: fake.token,
    apiRoot: fake.apiRoot,
    telegram: { chatId: CHAT, operatorIds: [OPERATOR] },
    desk,
    audit: h.audit,
    alerts,
    metrics: createMetrics(),
    logger,
    botInfo: fake.botInfo,
  });
});
afterAll(async () => {
  await ob?.idle();
  if (t) {
    for await (const wf of t.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
      if (wf.workflowId.includes(`/${ACCOUNT}`)) await t.client.workflow.getHandle(wf.workflowId).terminate('test cleanup');
    }
  }
  await t?.close();
  await fake?.close();
  await h?.close();
});

const input = (exchange: ExchangeId) => h.gridSession(exchange, ACCOUNT);

describe('a stranger in the chat while three sessions trade', () => {
  it('leaves every session trading and yields one WARNING, with no incident', async () => {
    const handles = await Promise.all(VENUE_IDS.map((v) => startSession(t.client, t.taskQueue, input(v))));
    const statuses = () => Promise.all(handles.map((hd) => hd.query(statusQuery)));
    const trading = (all: SessionStatus[]) => all.every((s) => s.mode === 'trading' && s.breaker.status === 'closed' && s.orderSeq > 0);
    const before = await waitFor(statuses, trading, 30_000, 'three sessions trading');

    // A stranger writes to the bot directly, then inside the operator chat, and tries the kill switch.
    const stranger = { userId: STRANGER, chatId: STRANGER };
    for (const [s, text] of [
      [stranger, 'hi'],
      [stranger, '/stop'],
      [{ userId: STRANGER, chatId: CHAT }, '/stop everything'],
      [{ userId: STRANGER, chatId: CHAT }, '/pause'],
    ] as const) {
      await ob.bot.handleUpdate(textUpdate(s, text));
    }
    await ob.idle();

    // Every session ticks on, trading, after the stranger's messages.
    const after = await waitFor(statuses, (all) => trading(all) && all.every((s, i) => s.ticks >= before[i]!.ticks + 3), 30_000, 'three more ticks each');
    expect(after.map((s) => [s.session, s.mode, s.breaker.status, s.isolation ?? null, s.lastStop ?? null])).toEqual(
      VENUE_IDS.map((v) => [`${v}/${ACCOUNT}`, 'trading', 'closed', null, null]),
    );
    for (const v of VENUE_IDS) expect(h.sim.orders(v, ACCOUNT).filter((o) => o.status === 'open').length, v).toBeGreaterThan(0);

    // One WARNING for the one sender, nothing else, and no incident opened.
    expect(channel.alerts.map((a) => [a.name, a.severity, a.incident ?? null])).toEqual([['unauthorized_operator_message', 'WARNING', null]]);
    expect(incidentsOpened).toEqual([]);
    const incidents: string[] = [];
    for await (const wf of t.client.workflow.list({ query: `WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running'` })) incidents.push(wf.workflowId);
    expect(incidents.filter((id) => id.includes(`/${ACCOUNT}`) || id.includes('unauthorized'))).toEqual([]);
    // The stranger got no answer at all; every attempt is on the trail.
    expect(fake.sentTo(STRANGER)).toEqual([]);
    expect(fake.sentTo(CHAT)).toEqual([]);
    const refused = eventsOf(h.audit, 'operator_command').filter((e) => e.data.operator === `tg:${STRANGER}`);
    expect(refused.map((e) => e.data.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);
  });
});
