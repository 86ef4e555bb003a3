/**
 * `npm run record:histories [-- --out DIR] [-- --only name,name]`: drives the desk's real
 * workflows on a dev server of its own, the exchange simulator and the real worker (on loopback),
 * and saves each one's full history as JSON (the format `temporal workflow show -o json` writes;
 * test/helpers/history-json.ts says why not the SDK's historyToJSON) into test/fixtures/histories/,
 * plus that folder's README naming the commit it was recorded at.
 *
 * test/replay.test.ts replays every one of them with the current workflow code: a change to a
 * workflow's commands without patched() fails it. Record from the commit that is deployed (the
 * older code), never re-record just to make a failing replay pass. The keys in these histories are
 * the simulator's test-only paper keys, and the workflows only ever carry their fingerprints.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { createLogger } from '../adapters/logger';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import { LocalFileSecretRotator } from '../adapters/secrets/rotation';
import { startProvisionedDevServer } from '../adapters/temporal-dev-server';
import { TemporalDeskControl } from '../clients/temporal-desk-control';
import { PROJECT_ROOT } from '../config/paths';
import { RiskConfig, WardenConfig } from '../config/schema';
import type { ExchangeId } from '../domain/market';
import { clientOrderId } from '../domain/client-order-id';
import { startSession } from '../workers/sessions';
import { createDeskWorker } from '../workers/worker';
import { credentialInventoryWorkflow } from '../workflows/credential-inventory';
import { dailyReportWorkflow } from '../workflows/daily-report';
import { deskStatusQuery, stopDeskUpdate } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import {
  acknowledgeUpdate,
  approveResumeUpdate,
  falsePositiveUpdate,
  incidentStatusQuery,
  incidentWorkflowId,
  recordFindingsUpdate,
  retriggerSignal,
  type IncidentInput,
} from '../contracts/incident';
import { incidentWorkflow } from '../workflows/incident';
import { keyAuditWorkflow } from '../workflows/key-audit';
import { confirmTransferUpdate, rebalanceStatusQuery } from '../contracts/rebalance';
import { oldKeyRevokedUpdate, pendingStoredUpdate, rotationStatusQuery } from '../contracts/rotation';
import { rotateCredentialWorkflow, rotationCheckWorkflow } from '../workflows/rotation';
import { pauseUpdate, resumeUpdate, statusQuery, stopSignal, stopUpdate, type SessionInput, type SessionStatus } from '../contracts/session';
import { daysAgo } from '../test/helpers/clock';
import { ExchangeHarness } from '../test/helpers/exchange';
import { historyToJson } from '../test/helpers/history-json';
import { clientFor } from '../test/helpers/simulator';
import { waitFor } from '../test/helpers/wait';
import { workerDeps } from '../test/helpers/worker-deps';

const args = process.argv.slice(2);
const argOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const OUT = argOf('--out') ?? join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const ONLY = argOf('--only') ? new Set(argOf('--only')!.split(',')) : undefined;

/** Event types as the JSON history names them. */
const CLOSED = new Set(['COMPLETED', 'FAILED', 'TERMINATED', 'CONTINUED_AS_NEW', 'CANCELED', 'TIMED_OUT'].map((t) => `EVENT_TYPE_WORKFLOW_EXECUTION_${t}`));
const TASK_COMPLETED = 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED';
const TASK_SCHEDULED = 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED';

interface JsonEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
  workflowExecutionContinuedAsNewEventAttributes?: { newExecutionRunId?: string };
}

/** Whether a history (as JSON) has no workflow task pending: closed, or between two tasks. */
function quiet(events: JsonEvent[]): boolean {
  const last = events[events.length - 1]?.eventType;
  if (last && CLOSED.has(last)) return true;
  const lastCompleted = events.map((e) => e.eventType).lastIndexOf(TASK_COMPLETED);
  return lastCompleted > 0 && !events.slice(lastCompleted + 1).some((e) => e.eventType === TASK_SCHEDULED);
}

interface Recorded {
  name: string;
  workflowType: string;
  workflowId: string;
  status: 'closed' | 'running';
  events: number;
  scenario: string;
}
const recorded: Recorded[] = [];

/**
 * The history once no workflow task is pending (a running workflow between two tasks, or a closed
 * one), written as `<name>.json`. A running workflow is then terminated: nothing of it is left to
 * add events the file lacks, and the dev server goes away with the script anyway.
 */
async function record(name: string, handle: WorkflowHandle, scenario: string, opts: { terminate?: boolean } = {}): Promise<void> {
  const json = await waitFor(
    async () => historyToJson(await handle.fetchHistory()),
    (text) => quiet((JSON.parse(text) as { events: JsonEvent[] }).events),
    30_000,
    `${name}: a history with no workflow task pending`,
  );
  const events = (JSON.parse(json) as { events: JsonEvent[] }).events;
  const first = events[0]?.workflowExecutionStartedEventAttributes;
  const closed = CLOSED.has(events[events.length - 1]!.eventType);
  writeFileSync(join(OUT, `${name}.json`), `${json}\n`);
  recorded.push({ name, workflowType: first?.workflowType?.name ?? '?', workflowId: handle.workflowId, status: closed ? 'closed' : 'running', events: events.length, scenario });
  console.error(`recorded ${name}: ${events.length} events (${closed ? 'closed' : 'running'})`);
  if (!closed && opts.terminate !== false) await handle.terminate('history recorded').catch(() => undefined);
}

// ---- the environment -------------------------------------------------------------------

Runtime.install({ logger: new DefaultLogger('ERROR') });
const dir = mkdtempSync(join(tmpdir(), 'warden-record-'));
const server = await startProvisionedDevServer({ dbFile: join(dir, 'temporal.db'), progress: (l) => console.error(l) });
console.error(`record-histories: Temporal ${server.how} at ${server.address}`);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: server.namespace });
const nativeConnection = await NativeConnection.connect({ address: server.address });
const h = await ExchangeHarness.start(5);
const taskQueue = 'record-histories';

const ACCOUNTS = ['pause1', 'sig1', 'ks1', 'can1', 'ka1', 'ka2', 'refused1', 'inc2', 'rc1', 'reb1', 'inv1', 'rot1'];
const config = WardenConfig.parse({
  profile: 'paper',
  temporal: { address: server.address, namespace: server.namespace, taskQueue },
  // Nobody acknowledges the incidents alerts open here: no escalation rounds while recording.
  incidents: { ackTimeoutSeconds: 600 },
  exchanges: [],
});
const desk = new TemporalDeskControl(client, config);
const logger = createLogger({ level: 'silent' });
const secrets = h.secrets();
// The worker's real wiring: an alert the catalogue ties to an incident opens one.
const alerts = new AlertRouter({ channels: [new LogAlertChannel(logger)], audit: h.audit, logger, onIncident: (a) => desk.incident.openFromAlert(a) });
const worker = await createDeskWorker({
  connection: nativeConnection,
  namespace: server.namespace,
  taskQueue,
  deps: await workerDeps({
    secrets,
    gateways: new CcxtGatewayProvider({ secrets, accounts: ACCOUNTS.flatMap((a) => h.accounts(a)), enableRateLimit: false, timeoutMs: 3000 }),
    rotator: new LocalFileSecretRotator(join(h.stateDir, PAPER_SECRETS_FILE), 'paper'),
    audit: h.audit,
    alerts,
    sessionControl: desk,
    accounts: [],
  }),
});
const running = worker.run();

// ---- helpers -----------------------------------------------------------------------------

/** A funded account with a grid around the price: buys below, sells above, all resting. */
const keys = new Map<string, { apiKey: string; secret: string; passphrase?: string }>();
function gridSession(exchange: ExchangeId, account: string, overrides: Partial<SessionInput> = {}): SessionInput {
  keys.set(`${exchange}/${account}`, h.addKey(exchange, account));
  h.sim.setBalance(exchange, account, 'USDT', 20_000);
  h.sim.setBalance(exchange, account, 'BTC', 0.01);
  return h.gridSession(exchange, account, overrides);
}
const sessionHandle = (input: SessionInput) => client.workflow.getHandle(`session/${input.exchange}/${input.account}`);
const sessionStatus = (input: SessionInput) => sessionHandle(input).query(statusQuery);
const until = (input: SessionInput, ok: (s: SessionStatus) => boolean, what: string, ms = 30_000) => waitFor(() => sessionStatus(input), ok, ms, `${input.exchange}/${input.account}: ${what}`);
const openAtVenue = (input: SessionInput) => h.sim.orders(input.exchange, input.account).filter((o) => o.status === 'open');

// ---- the scenarios -------------------------------------------------------------------------

const SCENARIOS: Array<{ name: string; run: () => Promise<void> }> = [
  {
    name: 'session-pause-resume-stop-update',
    async run() {
      const input = gridSession('binance', 'pause1');
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.orderSeq >= 2 && s.ticks >= 2, 'a few ticks with orders');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'cli:recorder', reason: 'pause while recording' }] });
      const paused = await until(input, (s) => s.mode === 'paused', 'paused');
      await until(input, (s) => s.ticks >= paused.ticks + 2, 'ticks while paused');
      const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'cli:recorder', reason: 'resume while recording' }] });
      await until(input, (s) => s.ticks >= resumed.ticks + 2, 'ticks after resume');
      await handle.executeUpdate(stopUpdate, { args: [{ by: 'cli:recorder', reason: 'stop Update while recording' }] });
      await until(input, (s) => s.mode === 'stopped' && openAtVenue(input).length === 0, 'stopped, nothing open');
      await record('session-pause-resume-stop-update', handle, 'binance grid: trades a few ticks, pause Update, resume Update, stop Update (cancels every order)');
    },
  },
  {
    name: 'session-stop-signal',
    async run() {
      // okx: the venue's dead man's switch is armed every few ticks (armDeadMansSwitch in history).
      const input = gridSession('okx', 'sig1', { deadMansSwitchSeconds: 10 });
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.orderSeq >= 2 && s.ticks >= 3 && !!s.deadMansSwitch?.armedUntil, 'orders and an armed dead man switch');
      await handle.signal(stopSignal, { by: 'tg:42', reason: 'stopRequested Signal while recording' });
      const st = await until(input, (s) => s.mode === 'stopped' && !!s.lastStop, 'stopped by the Signal');
      await until(input, (s) => s.ticks >= st.ticks + 1, 'a tick after the stop');
      await record('session-stop-signal', handle, 'okx grid with the dead man switch armed: trades, stopped by the stopRequested Signal alone');
    },
  },
  {
    name: 'session-kill-switch-signal-then-update',
    async run() {
      const input = gridSession('bybit', 'ks1');
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.orderSeq >= 2 && s.ticks >= 2, 'orders');
      // What `warden stop` does: the Signal records the stop, the Update with the same stop id waits for its cancels.
      const stop = { by: 'cli:recorder', reason: 'kill switch while recording', stopId: 'stop-record-1' };
      await handle.signal(stopSignal, stop);
      await handle.executeUpdate(stopUpdate, { args: [stop] });
      await until(input, (s) => s.mode === 'stopped' && s.lastStop?.stopId === stop.stopId, 'stopped once');
      await record('session-kill-switch-signal-then-update', handle, 'bybit grid: the kill switch pair, stopRequested Signal then stop Update with the same stop id');
    },
  },
  {
    name: 'session-continue-as-new',
    async run() {
      const input = gridSession('binance', 'can1', { maxTicksPerRun: 2 });
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.ticks >= 5 && s.orderSeq >= 2, 'a few runs');
      const first = client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      await record('session-continue-as-new-first-run', first, 'binance grid with maxTicksPerRun 2: the first run, ending in continue-as-new');
      // The second run: started with carried state (no start audit, reconciliation after continue-as-new).
      const events = (JSON.parse(historyToJson(await first.fetchHistory())) as { events: JsonEvent[] }).events;
      const next = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) throw new Error('the first run did not continue as new');
      await record('session-continue-as-new-second-run', client.workflow.getHandle(handle.workflowId, next), 'the same session: its second run, on carried state, ending in continue-as-new');
      await handle.executeUpdate(stopUpdate, { args: [{ by: 'cli:recorder', reason: 'done' }] });
      await handle.terminate('recorded');
    },
  },
  {
    name: 'session-key-audit-halt',
    async run() {
      const input = gridSession('binance', 'ka1');
      h.addKey('okx', 'ka2'); // a key with no session: the audit goes on past it
      const key = keys.get('binance/ka1')!;
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.orderSeq >= 2 && openAtVenue(input).length >= 2, 'resting orders');
      // Someone turns withdrawals on for the trading key at the venue; the daily audit runs.
      h.sim.registerKey({ venue: 'binance', account: 'ka1', ...key, permissions: { read: true, trade: true, withdraw: true, transfer: false }, ipWhitelist: ['127.0.0.1'] });
      const audit = await client.workflow.start(keyAuditWorkflow, {
        taskQueue,
        workflowId: 'key-audit-record-critical',
        args: [{ accounts: [{ exchange: 'binance', account: 'ka1' }, { exchange: 'okx', account: 'ka2' }], requestedBy: 'schedule:key-audit' }],
      });
      await audit.result();
      await until(input, (s) => s.breaker.status === 'open' && s.breaker.trippedBy === 'key_audit', 'halted by the key audit');
      // The SEV-1 the halt opens contains the session (stop Update, credentials isolated).
      const incidentId = incidentWorkflowId('circuit_breaker_triggered:binance/ka1:key_audit');
      // Opened by the alert's onIncident: not there until the alert went out.
      await waitFor(() => client.workflow.getHandle(incidentId).query(incidentStatusQuery).catch(() => undefined), (s) => !!s?.damage, 30_000, 'the key-audit incident contained');
      await until(input, (s) => !!s.isolation, 'isolated');
      // A resume is refused until a clean audit (a refused Update leaves no trace).
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'cli:recorder', reason: 'too early' }] }).then(
        () => {
          throw new Error('resume was accepted on a key that can withdraw');
        },
        () => undefined,
      );
      await record('key-audit-critical', audit, 'keyAuditWorkflow: binance key with withdrawals on (CRITICAL, session signalled), okx key with no session (signal fails, audit goes on)');
      await record('incident-sev1-key-audit-contained', client.workflow.getHandle(incidentId), 'SEV-1 opened by the key-audit halt: automatic containment (stop with isolate), waiting for an acknowledgement');
      await record('session-key-audit-halt', handle, 'binance grid halted by a CRITICAL key audit (keyAuditResult Signal), then stopped and isolated by the SEV-1 containment');
    },
  },
  {
    name: 'session-refused-critical-key',
    async run() {
      const input = gridSession('okx', 'refused1');
      h.addKey('okx', 'refused1', { permissions: { withdraw: true } });
      const handle = await startSession(client, taskQueue, input);
      await handle.result().then(
        () => {
          throw new Error('a session started on a key that can withdraw');
        },
        () => undefined,
      );
      await record('session-refused-critical-key', handle, 'okx session on a key that can withdraw: the start audit is CRITICAL, it alerts and fails (KeyAuditCritical)');
    },
  },
  {
    name: 'incident-sev2',
    async run() {
      const input = gridSession('binance', 'inc2');
      const session = await startSession(client, taskQueue, input);
      await until(input, (s) => s.orderSeq >= 2, 'orders');
      const cause = 'record:sev2-exchange-failures';
      const id = incidentWorkflowId(cause);
      const incidentInput: IncidentInput = {
        cause,
        severity: 'SEV-2',
        summary: 'exchange failures while recording',
        sessions: ['binance/inc2'],
        declaredBy: 'cli:recorder',
        ackTimeoutSeconds: 2,
        findingsTimeoutSeconds: 300,
        resumeTimeoutSeconds: 300,
      };
      const incident = await client.workflow.signalWithStart(incidentWorkflow, {
        taskQueue,
        workflowId: id,
        args: [incidentInput],
        signal: retriggerSignal,
        signalArgs: [{ detail: 'declared while recording', at: new Date().toISOString() }],
      });
      const status = () => incident.query(incidentStatusQuery);
      // Contained at once (SEV-2), then one escalation round before anyone acknowledges.
      await waitFor(status, (s) => !!s.damage && s.timeline.some((t) => t.event.includes('escalation 1')), 30_000, 'containment and an escalation');
      await until(input, (s) => s.mode === 'stopped', 'stopped by containment');
      await incident.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:42' }] });
      await waitFor(status, (s) => s.phase === 'investigation' && s.timeline.some((t) => t.event.startsWith('evidence:')), 30_000, 'investigation with evidence');
      await incident.executeUpdate(recordFindingsUpdate, {
        args: [{ by: 'tg:42', findings: 'the venue answered 503 for a minute', rootCause: 'venue maintenance', keysCompromised: false, prevention: ['watch the venue status page'], lessons: 'none' }],
      });
      await waitFor(status, (s) => s.phase === 'recovery' && s.timeline.some((t) => t.event.startsWith('reconciled')), 30_000, 'recovery');
      await incident.executeUpdate(approveResumeUpdate, { args: [{ by: 'tg:42', reason: 'venue is back' }] });
      const final = await incident.result();
      if (final.phase !== 'closed') throw new Error(`SEV-2 ended in ${final.phase}`);
      await until(input, (s) => s.mode === 'trading', 'resumed by the incident');
      await session.executeUpdate(stopUpdate, { args: [{ by: 'cli:recorder', reason: 'done' }] });
      await record('incident-sev2-ack-findings-resume', incident, 'SEV-2: automatic containment, one escalation, acknowledge, findings, approveResume, report written, closed');
      await record('session-contained-and-resumed-by-incident', session, 'binance grid stopped by the SEV-2 containment, resumed by its approveResume, then stopped');
    },
  },
  {
    name: 'incident-sev3-false-positive',
    async run() {
      const cause = 'record:sev3-latency';
      const incident = await client.workflow.signalWithStart(incidentWorkflow, {
        taskQueue,
        workflowId: incidentWorkflowId(cause),
        args: [{ cause, severity: 'SEV-3', summary: 'latency spike while recording', sessions: ['binance/none'], declaredBy: 'cli:recorder', ackTimeoutSeconds: 600 }],
        signal: retriggerSignal,
        signalArgs: [{ detail: 'latency spike', at: new Date().toISOString() }],
      });
      await waitFor(() => incident.query(incidentStatusQuery), (s) => s.timeline.length >= 1, 15_000, 'detection');
      await incident.executeUpdate(falsePositiveUpdate, { args: [{ by: 'tg:42', reason: 'load test traffic' }] });
      await incident.result();
      await record('incident-sev3-false-positive', incident, 'SEV-3 in detection: marked false positive, closed without containment or report');
    },
  },
  {
    name: 'session-reconciliation',
    async run() {
      const input = gridSession('binance', 'rc1');
      const ccxt = clientFor(h.sim, { venue: 'binance', ...keys.get('binance/rc1')! });
      const price = h.sim.price('BTC/USDT');
      // An order under the desk's id shape from an earlier epoch, and an operator's manual one.
      const stale = clientOrderId('binance', { session: 'binance/rc1', runSeq: 1, epoch: 'an-earlier-run' });
      await ccxt.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.round(price * 0.5), { clientOrderId: stale });
      await ccxt.createOrder('BTC/USDT', 'limit', 'buy', 0.001, Math.round(price * 0.4), { clientOrderId: 'manual-hedge-1' });
      const handle = await startSession(client, taskQueue, input);
      await until(input, (s) => s.reconciliation?.state === 'ok' && s.orderSeq >= 2, 'reconciled, then trading');
      await handle.executeUpdate(stopUpdate, { args: [{ by: 'cli:recorder', reason: 'done' }] });
      await record('session-reconciliation-unknown-order', handle, 'binance grid starting with an unknown desk order (cancelled, SEV-3 alert) and a manual one (left alone), then trading, then stopped');
      await record('incident-sev3-unknown-orders', client.workflow.getHandle(incidentWorkflowId('unknown_orders:binance/rc1')), 'SEV-3 opened by reconciliation: containment proposed, waiting');
    },
  },
  {
    name: 'rebalance-confirmed',
    async run() {
      h.addKey('binance', 'reb1');
      h.sim.setBalance('binance', 'reb1', 'USDT', 3000);
      const input: SessionInput = {
        exchange: 'binance',
        account: 'reb1',
        symbols: ['BTC/USDT'],
        strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.1 }, band: 0.02, orderType: 'market', maxOrderNotional: 200 },
        risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
        tickSeconds: 1,
        rebalance: { coldUsd: 100_000, hotUsd: 1_000, operators: ['tg:42'], reminderEverySeconds: 2, balancePollSeconds: 1 },
      };
      const session = await startSession(client, taskQueue, input);
      const st = await until(input, (s) => !!s.rebalancing, 'rebalance started');
      const rebalance = client.workflow.getHandle(st.rebalancing!);
      await waitFor(() => rebalance.query(rebalanceStatusQuery), (r) => r.status === 'awaiting_transfer', 15_000, 'awaiting the transfer');
      await new Promise((r) => setTimeout(r, 2500)); // one reminder
      await rebalance.executeUpdate(confirmTransferUpdate, { args: [{ by: 'tg:42', amountUsd: 17_000, reference: 'binance-tx-8812' }] });
      await waitFor(() => rebalance.query(rebalanceStatusQuery), (r) => r.status === 'confirming_balance', 15_000, 'watching the balance');
      h.sim.setBalance('binance', 'reb1', 'USDT', 20_000);
      await rebalance.result();
      await until(input, (s) => s.mode === 'trading' && s.orderSeq > 0, 'trading again');
      await session.executeUpdate(stopUpdate, { args: [{ by: 'cli:recorder', reason: 'done' }] });
      await record('rebalance-confirmed', rebalance, 'rebalanceWorkflow: low warm balance, a reminder, confirmTransfer by an operator, balance seen, session told');
      await record('session-low-balance-rebalance', session, 'binance target-weight session: low balance starts the rebalance child, pauses, resumes on rebalanceDone, trades, stopped');
    },
  },
  {
    name: 'desk-and-small-ones',
    async run() {
      const d = await client.workflow.start(deskWorkflow, { taskQueue, workflowId: 'desk/record', args: [{ desk: 'record', profile: 'paper', heartbeatSeconds: 1 }] });
      await waitFor(() => d.query(deskStatusQuery), (s) => s.beats >= 3, 20_000, 'three beats');
      await d.executeUpdate(stopDeskUpdate, { args: [{ by: 'cli:recorder', reason: 'done' }] });
      await d.result();
      await record('desk-stopped', d, 'deskWorkflow: heartbeats every second, stopped by the stopDesk Update');

      const clean = await client.workflow.start(keyAuditWorkflow, { taskQueue, workflowId: 'key-audit-record-clean', args: [{ accounts: [{ exchange: 'okx', account: 'ka2' }], requestedBy: 'cli:recorder' }] });
      await clean.result();
      await record('key-audit-clean', clean, 'keyAuditWorkflow: one clean key, no session to signal');

      h.addKey('binance', 'inv1');
      const inv = await client.workflow.start(credentialInventoryWorkflow, {
        taskQueue,
        workflowId: 'inventory-record',
        args: [{ accounts: [{ exchange: 'binance', account: 'inv1', purposes: ['trading'] }], requestedBy: 'cli:recorder' }],
      });
      await inv.result();
      await record('credential-inventory', inv, 'credentialInventoryWorkflow: one trading key described (fingerprint only) and audited');

      const report = await client.workflow.start(dailyReportWorkflow, { taskQueue, workflowId: 'daily-report-record' });
      await report.result();
      await record('daily-report', report, 'dailyReportWorkflow: the report built and sent');
    },
  },
  {
    // Last: the rotator rewrites the paper secrets file, which the harness would overwrite on its next key.
    name: 'rotation',
    async run() {
      const old = h.addKey('binance', 'rot1', { createdAt: daysAgo(100) });
      h.sim.setBalance('binance', 'rot1', 'USDT', 1000);
      const check = await client.workflow.start(rotationCheckWorkflow, {
        taskQueue,
        workflowId: 'rotation-check-record',
        args: [{ accounts: [{ exchange: 'binance', account: 'rot1', symbols: ['BTC/USDT'] }], intervalDays: 90, operators: ['tg:42'], rotate: { cacheTtlSeconds: 1 } }],
      });
      await check.result();
      const rotation = client.workflow.getHandle<typeof rotateCredentialWorkflow>('rotate/binance/rot1/trading');
      const status = () => rotation.query(rotationStatusQuery);
      await waitFor(status, (s) => s.status === 'awaiting_pending', 20_000, 'awaiting a staged key');
      h.addKey('binance', 'rot1', { pending: true });
      await rotation.executeUpdate(pendingStoredUpdate, { args: [{ by: 'tg:42' }] });
      await waitFor(status, (s) => s.status === 'awaiting_revocation', 30_000, 'promoted and verified');
      h.sim.revokeKey('binance', old.apiKey);
      await rotation.executeUpdate(oldKeyRevokedUpdate, { args: [{ by: 'tg:42' }] });
      const done = await rotation.result();
      if (done.status !== 'completed') throw new Error(`rotation ended ${done.status}`);
      await record('rotation-check', check, 'rotationCheckWorkflow: a 100-day-old key is due, its rotation started as a child');
      await record('rotate-credential', rotation, 'rotateCredentialWorkflow: staged, audited, promoted, verified, cache settled, old key revoked, completed');
    },
  },
];

// ---- run -------------------------------------------------------------------------------------

function commitInfo(): { commit: string; dirty: string[] } {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--', 'workflows', 'domain')
    .split('\n')
    .filter(Boolean);
  return { commit: git('log', '-1', '--format=%H %s'), dirty };
}

let failed = false;
try {
  mkdirSync(OUT, { recursive: true });
  if (!ONLY) for (const f of readdirSync(OUT).filter((f) => f.endsWith('.json'))) rmSync(join(OUT, f));
  for (const s of SCENARIOS) {
    if (ONLY && !ONLY.has(s.name)) continue;
    const t0 = Date.now();
    console.error(`scenario ${s.name}...`);
    await s.run();
    console.error(`scenario ${s.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const { commit, dirty } = commitInfo();
  if (dirty.length) console.error(`WARNING: workflows/ or domain/ differ from the commit: ${dirty.join(', ')}; these histories are not that commit's`);
  if (!ONLY) {
    const rows = recorded.map((r) => `| \`${r.name}.json\` | ${r.workflowType} | ${r.status} | ${r.events} | ${r.scenario} |`);
    writeFileSync(
      join(OUT, 'README.md'),
      [
        '# Recorded workflow histories',
        '',
        `Recorded at commit \`${commit.split(' ')[0]}\` (${commit.slice(41)})${dirty.length ? `, with local changes to ${dirty.join(', ')}` : ''}, by`,
        '`npm run record:histories` (`scripts/record-histories.ts`): real workflows on a dev server, the',
        'exchange simulator and the real worker. `test/replay.test.ts` replays every one with the current',
        'workflow code. Re-record only from the commit that is deployed (the older code), never to make',
        'a failing replay pass: a failure means the new code would break these workflows in flight, so',
        'guard the change with `patched()` instead. Keys in here are the simulator\'s test-only paper keys,',
        'and only their fingerprints reach history.',
        '',
        '| file | workflow | state when recorded | events | scenario |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
        '',
      ].join('\n'),
    );
  }
  console.error(`wrote ${recorded.length} histories to ${relative(process.cwd(), OUT) || '.'}`);
} catch (err) {
  failed = true;
  console.error('record-histories failed:', err);
} finally {
  worker.shutdown();
  await running.catch(() => undefined);
  await nativeConnection.close();
  await connection.close();
  await h.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
