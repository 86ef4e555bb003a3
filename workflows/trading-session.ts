/**
 * A trading session: one per exchange account (workflow id `session/<exchange>/<account>`).
 *
 * Each tick: snapshot -> strategy -> risk engine -> orders under deterministic
 * client order ids -> audit. The strategy and the risk engine are pure and run
 * here, so every decision is in history. The circuit breaker and the kill switch
 * are workflow state: they survive any worker's death and continue-as-new.
 * Its input, status, messages and workflow id are contracts/session.ts's.
 */
import { checkOperatorId, checkOperatorText, clipReason, OPERATOR_REASON_MAX } from '../domain/operator-input';
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import {
  initialBreaker,
  isOpen,
  keyAuditRearmRefusal,
  rearm,
  recordFailure,
  recordKeyAudit,
  recordSuccess,
  trip,
  type BreakerState,
  type KeyAuditHistory,
  type TripCause,
} from '../domain/circuit-breaker';
import { clientOrderId } from '../domain/client-order-id';
import { DEAD_MANS_SWITCH, deadMansSwitchSeconds, shouldRearm } from '../domain/dead-mans-switch';
import { KeyAuditResultMessage, keyAuditHaltIncident, keyAuditResultMessage } from '../domain/key-audit';
import { mayObserve, mayPlace, mayStartRebalance } from '../domain/trading-state';
import type { MarketSnapshot, OrderIntent } from '../domain/market';
import { ORDER_HEARTBEAT_TIMEOUT_MS, ORDER_RETRY_INTERVAL_MS, ORDER_START_TO_CLOSE_MS } from '../domain/order-timing';
import { valuePortfolio } from '../domain/portfolio';
import { checkOrder, checkPortfolio, initialRiskState, markToMarket, recordOrder } from '../domain/risk';
import { makeAlert, type AlertName, type AlertSeverity, type IncidentSeverity } from '../domain/severity';
import { runStrategy } from '../domain/strategy';
import { FAILURE } from '../contracts/failures';
import { rebalanceWorkflowId } from '../contracts/rebalance';
import {
  forceOpenUpdate,
  keyAuditResultSignal,
  pauseUpdate,
  rebalanceDoneSignal,
  resumeUpdate,
  statusQuery,
  stopSignal,
  stopUpdate,
  UNATTRIBUTED_ISOLATION,
  type Isolation,
  type OperatorRequest,
  type ResumeRequest,
  type SessionInput,
  type SessionStatus,
  type StopReport,
  type StopRequest,
  type StopResult,
} from '../contracts/session';
import { rebalanceWorkflow } from './rebalance';
import { sessionReconciler } from './session-reconciliation';
import { failureType } from './failure';

// ---- activities ------------------------------------------------------------------

/** Exchange calls fail fast so a dead worker's task moves to the standby within seconds. */
const exchange = proxyActivities<DeskActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
});
/**
 * Placement retries until the outcome is known: each retry looks the client order id up first, and
 * none runs while an earlier request can still land (domain/order-timing.ts). The activity sets the
 * delay after its own failures; the interval here covers attempts that timed out (a dead worker).
 */
export const ORDER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: ORDER_START_TO_CLOSE_MS,
  heartbeatTimeout: ORDER_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: ORDER_RETRY_INTERVAL_MS, backoffCoefficient: 1.5, maximumInterval: 30_000, maximumAttempts: 20, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
};
const orders = proxyActivities<DeskActivities>(ORDER_ACTIVITY_OPTIONS);
/** Audit writes are retried durably. */
const records = proxyActivities<DeskActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
/** Alert delivery retries in the background for about half an hour; it never holds up a tick. */
const alerting = proxyActivities<DeskActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '60 seconds', maximumAttempts: 40 },
});
/** Re-arming is best effort and off the tick's path: two quick attempts, then the next tick tries again. */
const deadMan = proxyActivities<DeskActivities>({ startToCloseTimeout: '5 seconds', retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 } });
/** Local activities run on the worker that runs this workflow's tasks: that is how the session knows its worker. */
const local = proxyLocalActivities<DeskActivities>({ startToCloseTimeout: '5 seconds' });

/**
 * Why a resume may not lift a SEV-1 isolation: no other Update may undo the incident's gate, so it
 * needs the approval of an incident that isolated the session (its approveResume passes `approvedBy`).
 * A breaker opened by isolation before incident ids were recorded accepts any incident's approval.
 */
export function isolationResumeRefusal(isolation: Isolation | undefined, breaker: BreakerState, req: ResumeRequest): string | undefined {
  const legacy = !isolation && breaker.status === 'open' && breaker.trippedBy === 'incident';
  if (!isolation && !legacy) return undefined;
  const owners = isolation?.incidents ?? [UNATTRIBUTED_ISOLATION];
  const approved = typeof req.approvedBy?.incidentId === 'string' ? req.approvedBy.incidentId : undefined;
  if (approved !== undefined && (owners.includes(approved) || owners.includes(UNATTRIBUTED_ISOLATION))) return undefined;
  const named = owners.filter((o) => o !== UNATTRIBUTED_ISOLATION);
  return (
    `isolation: credentials isolated by SEV-1 incident ${named.join(', ') || '(unrecorded)'}; ` +
    `only that incident's approveResume resumes this session (warden incident resume ${named[0] ?? '<id>'} --reason ...)`
  );
}


// ---- the workflow ----------------------------------------------------------------

export async function tradingSessionWorkflow(input: SessionInput): Promise<StopReport | undefined> {
  const session = `${input.exchange}/${input.account}`;
  const { firstExecutionRunId } = workflowInfo();
  const carried = input.carried;
  const noKeyAudits: KeyAuditHistory<KeyAuditResultMessage> = {};
  const s = {
    orderSeq: carried?.orderSeq ?? 0,
    breaker: carried?.breaker ?? initialBreaker(),
    risk: carried?.risk,
    strategy: carried?.strategy,
    mode: carried?.mode ?? ('trading' as SessionStatus['mode']),
    ticks: carried?.ticks ?? 0,
    lastWorker: carried?.lastWorker,
    lastStop: carried?.lastStop,
    cancelPending: carried?.cancelPending,
    failovers: carried?.failovers ?? 0,
    auditSeq: carried?.auditSeq ?? 0,
    rebalancing: carried?.rebalancing,
    rebalances: carried?.rebalances ?? 0,
    keyAudit: carried?.keyAudit ?? noKeyAudits,
    isolation: carried?.isolation,
  };
  let snapshot: MarketSnapshot | undefined;
  let marks = { value: 0, dailyPnlPct: 0, drawdownPct: 0 };
  let lastRefusals: string[] = [];
  let refusedLastTick = new Set<string>();
  const recentTickLagMs: number[] = [];
  let stopRequested: OperatorRequest | undefined;
  let placing = 0;
  /** The placement in flight, so a stop can call off its retries (nothing new is placed after a stop). */
  let placementScope: CancellationScope | undefined;
  /** Second sweeps still to run before this run may hand over (continue-as-new). */
  let sweeping = 0;
  let wake = false;
  /** Cancel-alls the venue has confirmed (no open order left): a snapshot read before one lists orders that are gone. */
  let cancelsConfirmed = 0;
  /** The venue's dead man's switch: when this run last armed it (workflow time), and what operators see. */
  let deadMansSwitch: SessionStatus['deadMansSwitch'];
  let armedAtMs: number | undefined;
  let arming = false;
  /** Key-audit halts still running (started by a signal, which cannot wait): the run hands over after them. */
  let keyAuditHalts = 0;

  const nowIso = () => new Date(Date.now()).toISOString();
  const ref = { exchange: input.exchange, account: input.account };
  /** What decides the session's trading state (domain/trading-state.ts): asked before reading, placing and rebalancing. */
  const facts = () => ({ mode: s.mode, breaker: s.breaker, rebalancing: s.rebalancing, isolation: s.isolation, stopRequested: !!stopRequested });
  const auditId = (what: string) => `${session}/${firstExecutionRunId}/${what}/${++s.auditSeq}`;

  const status = (): SessionStatus => ({
    session,
    mode: s.mode,
    breaker: s.breaker,
    ticks: s.ticks,
    lastTick: snapshot ? { at: snapshot.at, worker: snapshot.worker } : undefined,
    positions: snapshot?.balances ?? {},
    pnl: marks,
    openOrders: snapshot?.openOrders ?? [],
    orderSeq: s.orderSeq,
    lastRefusals,
    lastStop: s.lastStop,
    failovers: s.failovers,
    worker: s.lastWorker,
    rebalancing: s.rebalancing,
    recentTickLagMs,
    deadMansSwitch,
    keyAudit: s.keyAudit,
    reconciliation: recon?.status(),
    ...(s.isolation ? { isolation: s.isolation } : {}),
  });

  const pendingAlerts = new Set<Promise<unknown>>();
  /** Fire and forget: a Telegram outage must not stop the desk from trading or stopping. */
  const alert = async (name: AlertName, message: string, severity?: AlertSeverity, extra: { subject?: string; incident?: IncidentSeverity | null } = {}) => {
    const scope = { ...ref, subject: extra.subject };
    const p = alerting.sendAlert({ alert: makeAlert(name, { message, at: nowIso(), scope, severity, incident: extra.incident }), actor: session }).catch((err) => log.error('alert failed', { err: String(err) }));
    // Runs started before this change awaited each alert; replaying them must do the same.
    if (!patched('fire-and-forget-alerts')) return void (await p);
    pendingAlerts.add(p);
    void p.finally(() => pendingAlerts.delete(p));
  };

  const sessionEvent = (event: string, detail: string) =>
    records.recordAudit({ id: auditId(event), type: 'session_event', actor: session, data: { session, event, detail } });

  /** Cancels every open order in a scope no cancellation can interrupt, and records what it cancelled. */
  async function cancelEverything(by: string, reason: string, waitForPlacements = true): Promise<StopReport['cancelled']> {
    return CancellationScope.nonCancellable(async () => {
      if (waitForPlacements) await condition(() => placing === 0);
      const { cancelled } = await exchange.cancelAllOrders({ ...ref, symbols: input.symbols, reason, by });
      // cancelAllOrders returns once the venue lists no open order on these symbols.
      cancelsConfirmed += 1;
      if (snapshot) snapshot = { ...snapshot, openOrders: [] };
      return cancelled.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol }));
    });
  }

  /** `incident` overrides the incident the alert opens; a key-audit trip opens one of its own cause (subject `key_audit`). */
  async function tripBreaker(by: TripCause, reason: string, operator = session, incident?: IncidentSeverity | null): Promise<void> {
    if (isOpen(s.breaker)) return;
    s.breaker = trip(s.breaker, by, reason, nowIso());
    await records.recordAudit({ id: auditId('breaker'), type: 'circuit_breaker', actor: operator, data: { session, state: 'open', by: operator, reason } });
    const cancelled = by === 'auth' ? [] : await cancelEverything(operator, `circuit breaker: ${reason}`).catch(() => []);
    await alert(
      by === 'daily_loss' ? 'daily_loss_limit' : 'circuit_breaker_triggered',
      `${session}: ${reason}; ${cancelled.length} open order(s) cancelled; trading halted until an operator resumes`,
      undefined,
      by === 'key_audit' ? { subject: 'key_audit', incident } : {},
    );
  }

  /** A CRITICAL key audit: halt (cancel, audit, alert) and open the key-audit incident. */
  async function haltOnKeyAudit(result: KeyAuditResultMessage): Promise<void> {
    const why = result.findings.filter((f) => f.severity === 'CRITICAL').map((f) => f.message).join('; ');
    const reason = `key audit ${result.auditId}: ${why}`;
    const incident = keyAuditHaltIncident(result.findings);
    if (!isOpen(s.breaker)) return tripBreaker('key_audit', reason, session, incident);
    // Already open for another cause, which it keeps (orders went then): the finding still needs its incident,
    // and the resume guard holds the session until a clean audit all the same.
    await alert('circuit_breaker_triggered', `${session}: ${reason}; trading already halted (${s.breaker.trippedBy ?? 'open'})`, undefined, { subject: 'key_audit', incident });
  }

  // Validators only (no commands): the limits need no patched() and an oversized request changes nothing.
  const validateOperator = ({ by, reason }: OperatorRequest) => {
    checkOperatorId(by);
    checkOperatorText('reason', reason, OPERATOR_REASON_MAX, 'a reason is required');
  };

  /**
   * After a stop that found a placement in flight: once it has settled and every request it may have
   * sent is past its venue window (domain/order-timing.ts), cancel again whatever it left at the venue.
   */
  async function secondSweep(req: StopRequest): Promise<void> {
    sweeping += 1;
    try {
      await CancellationScope.nonCancellable(async () => {
        await condition(() => placing === 0);
        await sleep(ORDER_RETRY_INTERVAL_MS);
        const late = await cancelEverything(req.by, `kill switch (second sweep): ${req.reason}`, false);
        if (s.lastStop) s.lastStop = { ...s.lastStop, cancelled: [...s.lastStop.cancelled, ...late] };
        await sessionEvent('stop_second_sweep', `by ${req.by}: cancelled ${late.length} order(s) a placement in flight left`);
      });
    } finally {
      sweeping -= 1;
    }
  }

  function isolate(req: StopRequest): void {
    s.breaker = trip(s.breaker, 'incident', `credentials isolated: ${req.reason}`, nowIso());
    // Who isolated it, so only that incident's approveResume lifts it (and a second SEV-1 adds its own claim).
    if (patched('isolation-owned-by-incident')) {
      const by = req.incidentId ?? UNATTRIBUTED_ISOLATION;
      s.isolation = s.isolation
        ? { ...s.isolation, incidents: s.isolation.incidents.includes(by) ? s.isolation.incidents : [...s.isolation.incidents, by] }
        : { incidents: [by], reason: req.reason, at: nowIso() };
    }
  }

  // Kill switch: no new order after it starts. Open orders are cancelled at once, the placement
  // in flight is called off, and a second sweep cancels whatever it still yields.
  async function runStop(req: StopRequest): Promise<StopResult> {
    stopRequested = req;
    s.mode = 'stopped';
    // Runs from before this change waited for placements in flight before cancelling (minutes in a venue outage).
    const atOnce = patched('stop-without-waiting-for-placements');
    const inFlight = placing > 0;
    if (atOnce) placementScope?.cancel();
    // Runs from before this change woke the loop here, so its snapshot raced the cancels;
    // now the session looks at the account again once the venue has confirmed them.
    const observeAfterCancel = patched('stop-observes-after-cancel');
    if (!observeAfterCancel) wake = true;
    let cancelled: StopReport['cancelled'];
    try {
      cancelled = await cancelEverything(req.by, `kill switch: ${req.reason}`, !atOnce);
    } catch (err) {
      // The venue is down: the stop stands, and every tick tries the cancels again until the venue confirms.
      if (patched('stop-retries-cancels')) {
        s.cancelPending = req;
        s.lastStop = { session, cancelled: [], stoppedAt: nowIso(), stopId: req.stopId, cancelPending: true };
        wake = true;
      }
      // A venue refusing the cancels (down, or refusing the desk's IP) must not leave a SEV-1's isolation undone.
      if (req.isolate && patched('isolate-when-cancels-fail')) isolate(req);
      throw err;
    }
    s.lastStop = { session, cancelled, stoppedAt: nowIso(), ...(req.stopId ? { stopId: req.stopId } : {}) };
    if (atOnce && inFlight) void secondSweep(req).catch((err) => log.error('second sweep failed', { err: String(err) }));
    if (req.isolate) isolate(req);
    if (observeAfterCancel) wake = true;
    await sessionEvent('stopped', `by ${req.by}: ${req.reason}; cancelled ${cancelled.length}`);
    return { ...s.lastStop, status: status() };
  }

  /** The Signal and the Update of one kill switch share its id: the second to arrive waits for the first. */
  const stopsInFlight = new Map<string, Promise<StopResult>>();
  function stopOnce(req: StopRequest): Promise<StopResult> {
    const id = req.stopId;
    if (!id) return runStop(req);
    const running = stopsInFlight.get(id);
    if (running) return running;
    if (s.lastStop?.stopId === id && !s.lastStop.cancelPending) return Promise.resolve({ ...s.lastStop, status: status() });
    const p = runStop(req);
    stopsInFlight.set(id, p);
    void p.then(
      () => stopsInFlight.delete(id),
      () => stopsInFlight.delete(id),
    );
    return p;
  }

  setHandler(stopUpdate, stopOnce, { validator: validateOperator });
  setHandler(stopSignal, async (req) => {
    // A Signal has no validator: a malformed stop still stops (the kill switch never refuses on its reason).
    const by = typeof req?.by === 'string' && req.by.trim() ? req.by : 'unknown-operator';
    const given = typeof req?.reason === 'string' && req.reason.trim() ? req.reason : 'kill switch';
    // A Signal cannot be refused, so an oversized reason is clipped before it reaches the audit trail.
    const reason = patched('stop-signal-clips-reason') ? clipReason(given) : given;
    const stopId = typeof req?.stopId === 'string' ? req.stopId : undefined;
    // Caught: a signal handler's rejection would fail the workflow task; the cancels are retried every tick.
    await stopOnce({ by, reason, isolate: req?.isolate === true, ...(stopId ? { stopId } : {}), ...(typeof req?.incidentId === 'string' ? { incidentId: req.incidentId } : {}) }).catch((err: unknown) =>
      log.error('stop signal: cancels not confirmed yet', { err: String(err) }),
    );
  });
  setHandler(
    pauseUpdate,
    async (req) => {
      if (s.mode === 'trading') s.mode = 'paused';
      await sessionEvent('paused', `by ${req.by}: ${req.reason}`);
      return status();
    },
    { validator: validateOperator },
  );
  setHandler(
    resumeUpdate,
    async (req) => {
      // An incident's approval releases its own claim; another SEV-1 still isolating keeps the session stopped.
      if (s.isolation) {
        const approved = req.approvedBy?.incidentId ?? '';
        const left = s.isolation.incidents.filter((i) => i !== approved && i !== UNATTRIBUTED_ISOLATION);
        if (left.length) {
          s.isolation = { ...s.isolation, incidents: left };
          await sessionEvent('isolation_released', `by ${req.by} for ${approved}; still isolated by ${left.join(', ')}`);
          return status();
        }
        s.isolation = undefined;
      }
      const wasOpen = isOpen(s.breaker);
      s.breaker = rearm(s.breaker, req.by);
      s.mode = 'trading';
      stopRequested = undefined;
      s.cancelPending = undefined;
      wake = true;
      if (wasOpen) await records.recordAudit({ id: auditId('breaker'), type: 'circuit_breaker', actor: req.by, data: { session, state: 'closed', by: req.by, reason: req.reason } });
      await sessionEvent('resumed', `by ${req.by}: ${req.reason}`);
      return status();
    },
    {
      validator: (req) => {
        validateOperator(req);
        // A key that could move funds re-arms only after an audit that came back clean (domain/circuit-breaker.ts).
        const refusal = keyAuditRearmRefusal(s.breaker, s.keyAudit) ?? isolationResumeRefusal(s.isolation, s.breaker, req);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(
    forceOpenUpdate,
    async (req) => {
      await tripBreaker('manual', `forced open by ${req.by}: ${req.reason}`, req.by);
      wake = true;
      return status();
    },
    { validator: validateOperator },
  );
  setHandler(statusQuery, status);
  setHandler(rebalanceDoneSignal, ({ rebalance, by, outcome }) => {
    if (s.rebalancing !== rebalance) return;
    s.rebalancing = undefined;
    if (outcome && outcome !== 'completed') {
      // No top-up came: trading stays paused for an operator, and a later low balance may start a new procedure.
      sessionEvent('rebalance_ended', `${rebalance} ${outcome.replace('_', ' ')} (by ${by}); trading stays paused until an operator resumes`).catch((err: unknown) =>
        log.error('rebalance_ended audit failed', { err: String(err) }),
      );
      return;
    }
    if (s.mode === 'paused') s.mode = 'trading';
    wake = true;
    // Signal handlers cannot wait. Caught: an unhandled rejection (say, the write cancelled with the run) fails every workflow task.
    sessionEvent('rebalance_done', `${rebalance} confirmed by ${by}; trading resumes`).catch((err: unknown) => log.error('rebalance_done audit failed', { err: String(err) }));
  });
  setHandler(keyAuditResultSignal, (raw) => {
    const parsed = KeyAuditResultMessage.safeParse(raw);
    if (!parsed.success) return log.error('key audit result ignored: malformed', { err: parsed.error.message });
    const result = parsed.data;
    s.keyAudit = recordKeyAudit(s.keyAudit, result);
    if (!result.critical) return;
    // The breaker opens within this handler (tripBreaker's first step): no new order is placed after it, and the cancel waits for one in flight.
    keyAuditHalts += 1;
    wake = true;
    // Caught, as above: an unhandled rejection in a handler fails every workflow task.
    void haltOnKeyAudit(result)
      .catch((err: unknown) => log.error('key audit halt failed', { err: String(err) }))
      .finally(() => {
        keyAuditHalts -= 1;
      });
  });

  // Decided once per run, before any command: a patch first asked mid-tick, after a local
  // activity, made replays (a query on an evicted session) fail with a nondeterminism error.
  const armsDeadMansSwitch = patched('arm-dead-mans-switch-per-run');
  // Runs recorded before the desk-only rule let foreign orders be; a session started before the config had the field keeps that until restarted.
  const foreignOrders = patched('foreign-orders-unauthorized') ? (input.risk.foreignOrders ?? 'allowed') : 'allowed';
  // Every run first compares the venue's orders with what the session intended (issue #12).
  const recon = patched('reconcile-orders')
    ? sessionReconciler({
        session,
        epoch: firstExecutionRunId,
        ref,
        symbols: input.symbols,
        policy: input.risk.unknownOrders ?? 'cancel',
        foreignOrders,
        carried: carried?.reconciliation,
        trigger: carried ? 'continue-as-new' : 'session start',
        orderSeq: () => s.orderSeq,
        audit: (data) => records.recordAudit({ id: auditId('reconciliation'), type: 'reconciliation', actor: session, data }),
        alert: (name, message) => alert(name, message),
      })
    : undefined;

  upsertSearchAttributes({ WardenExchange: [input.exchange], WardenAccount: [input.account] });

  // Seed section 2: never trade on a key that can withdraw or transfer, or shares the monitoring key.
  if (!carried && patched('key-audit-at-start')) {
    const audit = await exchange.auditAccountKeys({ exchange: input.exchange, account: input.account, auditId: `${session}/${firstExecutionRunId}/start-audit`, actor: session });
    if (audit.critical) {
      const why = audit.findings.filter((f) => f.severity === 'CRITICAL').map((f) => f.message).join('; ');
      await alert('key_audit_finding', `${session} refused to start: ${why}`, 'CRITICAL');
      await condition(() => pendingAlerts.size === 0, '1 minute');
      throw ApplicationFailure.nonRetryable(`session ${session} refused to start: ${why}`, FAILURE.keyAuditCritical);
    }
    s.keyAudit = recordKeyAudit(s.keyAudit, keyAuditResultMessage(`${session}/${firstExecutionRunId}/start-audit`, nowIso(), audit.findings));
  }

  const tickMs = (input.tickSeconds ?? 5) * 1000;
  const maxTicks = input.maxTicksPerRun ?? 500;

  for (let tick = 0; ; tick++) {
    if (tick >= maxTicks || workflowInfo().continueAsNewSuggested) break;
    // A wake-up during a tick (a stop's cancels confirmed, a resume) calls for another look right after it;
    // runs from before this change cleared it when the tick ended.
    const keepWakeDuringTick = patched('wake-during-tick-kept');
    if (keepWakeDuringTick) wake = false;
    if (s.cancelPending) await retryPendingCancels(s.cancelPending);
    // A halted session still observes its account (status, marks, metrics) but places nothing;
    // a revoked key has nothing left to observe with, and isolated credentials must not be used.
    if (mayObserve(facts())) await runTick();
    if (!keepWakeDuringTick) wake = false;
    const due = Date.now() + tickMs;
    if (!(await condition(() => wake, tickMs))) {
      // Workflow time is the start of the task that woke us: the lag is how long the task waited.
      recentTickLagMs.push(Date.now() - due);
      if (recentTickLagMs.length > 50) recentTickLagMs.shift();
    }
  }

  // Let an in-flight stop or resume finish, and alerts go out, before handing over to the next run.
  await condition(allHandlersFinished);
  await condition(() => sweeping === 0);
  await condition(() => !arming);
  await condition(() => keyAuditHalts === 0);
  await condition(() => pendingAlerts.size === 0, '5 minutes');
  // The next run may start on any worker: failover detection starts afresh there.
  return continueAsNew<typeof tradingSessionWorkflow>({
    ...input,
    carried: { ...s, lastWorker: undefined, ...(recon ? { reconciliation: recon.carried() } : {}) },
  });

  async function runTick(): Promise<void> {
    s.ticks += 1;
    const confirmedBefore = cancelsConfirmed;
    try {
      const read = await exchange.snapshotAccount({ ...ref, symbols: input.symbols });
      // The venue confirmed a cancel-all while this snapshot was in flight: the orders it read are gone.
      snapshot = cancelsConfirmed === confirmedBefore ? read : { ...read, openOrders: [] };
    } catch (err) {
      const type = failureType(err);
      s.breaker = recordFailure(s.breaker, type === FAILURE.exchangeAuth ? 'auth' : 'retryable', nowIso(), input.failureThreshold);
      if (isOpen(s.breaker)) await tripBreakerNow();
      return;
    }
    s.breaker = recordSuccess(s.breaker);

    const nowMs = Date.parse(snapshot.at);
    const value = valuePortfolio(snapshot).total;
    const risk = s.risk ?? initialRiskState(value, nowMs);
    const m = markToMarket(risk, value, nowMs);
    s.risk = m.state;
    marks = { value, dailyPnlPct: m.dailyPnlPct, drawdownPct: m.drawdownPct };
    // Workflow tasks stick to one worker while it lives, and local activities run there:
    // a different identity here means the previous worker died and another took over.
    const { worker } = await local.publishMarks({ ...ref, ...marks, breakerOpen: isOpen(s.breaker) });
    if (s.lastWorker && worker !== s.lastWorker) {
      s.failovers += 1;
      await sessionEvent('failover', `worker ${s.lastWorker} -> ${worker}`);
      await alert('failover_occurred', `${session}: worker ${s.lastWorker} stopped answering; ${worker} took over`);
      recon?.request('failover');
    }
    s.lastWorker = worker;

    const breaches = checkPortfolio(input.risk, m).filter((b) => b.rule === 'daily_loss' || b.rule === 'max_drawdown');
    if (breaches.length && !isOpen(s.breaker)) {
      await tripBreaker(breaches[0]!.rule as TripCause, breaches.map((b) => b.reason).join('; '));
      return;
    }
    // Not awaited: a slow or failing venue call must not hold up (or stop) trading.
    if (armsDeadMansSwitch && !arming) {
      arming = true;
      void armDeadMansSwitch().finally(() => (arming = false));
    }

    if (mayStartRebalance(facts()) && input.rebalance && value < input.risk.lowBalanceUsd && patched('rebalance-on-low-balance')) {
      await startRebalance(value);
    }
    if (recon) {
      recon.watchForIntruders(snapshot);
      // Nothing is placed until the venue's orders match the session's intent.
      const gate = await recon.gate(snapshot);
      snapshot = gate.snapshot;
      if (!gate.ok) {
        lastRefusals = [gate.reason ?? 'reconciliation has not completed'];
        return;
      }
    }
    if (!mayPlace(facts())) return;
    const decision = runStrategy(input.strategy, snapshot, s.strategy);
    s.strategy = decision.state;
    lastRefusals = [];
    const refusalsNow = new Set<string>();
    try {
      await placeIntents(decision.intents, refusalsNow);
    } finally {
      refusedLastTick = refusalsNow;
    }
  }

  async function placeIntents(intents: OrderIntent[], refusalsNow: Set<string>): Promise<void> {
    if (!snapshot || !s.risk) return;
    for (const intent of intents) {
      // The kill switch and the breaker take effect between any two orders.
      if (!mayPlace(facts())) return;
      const check = checkOrder(input.risk, intent, snapshot, s.risk, Date.now());
      if (!check.ok) {
        lastRefusals.push(`${intent.side} ${intent.amount} ${intent.symbol}: ${check.reason}`);
        // The same refusal every tick would flood the trail: audit it when it first appears.
        const refusalKey = `${check.rule}/${intent.side}/${intent.symbol}`;
        refusalsNow.add(refusalKey);
        if (patched('audit-new-refusals-only') && refusedLastTick.has(refusalKey)) continue;
        await records.recordAudit({
          id: auditId('refused'),
          type: 'order_refused',
          actor: session,
          data: { exchange: input.exchange, account: input.account, symbol: intent.symbol, rule: check.rule, reason: check.reason },
        });
        continue;
      }
      const id = clientOrderId(input.exchange, { session, runSeq: ++s.orderSeq, epoch: firstExecutionRunId });
      placing += 1;
      try {
        await CancellationScope.cancellable(async () => {
          placementScope = CancellationScope.current();
          await orders.placeOrder({ ...ref, session, intent, clientOrderId: id });
        });
        s.risk = recordOrder(s.risk, Date.now());
        recon?.placed(id, intent.symbol);
      } catch (err) {
        // A stop called this placement off; its second sweep cancels whatever the venue still took.
        if (stopRequested && isCancellation(err)) return;
        const type = failureType(err);
        if (type === FAILURE.exchangeAuth) {
          s.breaker = recordFailure(s.breaker, 'auth', nowIso());
          await tripBreakerNow();
          return;
        }
        if (type === FAILURE.exchangeRejected) {
          lastRefusals.push(`${intent.side} ${intent.amount} ${intent.symbol}: rejected by ${input.exchange}`);
          continue;
        }
        // Retries ran out with the outcome unknown: the id is never reused, and reconciliation resolves it before the next order.
        recon?.unknownOutcome(id, intent.symbol);
        s.breaker = recordFailure(s.breaker, 'retryable', nowIso(), input.failureThreshold);
        if (isOpen(s.breaker)) await tripBreakerNow();
        return;
      } finally {
        placing -= 1;
        placementScope = undefined;
      }
    }
  }

  /**
   * Keeps the venue's own countdown running while the session may have orders resting (trading or
   * paused): if the desk dies, the venue cancels them itself. Stopped or halted, the cancels already
   * ran and nothing new is placed, so it is left to run out on an empty book.
   */
  async function armDeadMansSwitch(): Promise<void> {
    if (s.mode === 'stopped' || isOpen(s.breaker)) return;
    const support = DEAD_MANS_SWITCH[input.exchange];
    if (!support.supported) {
      deadMansSwitch = { supported: false, reason: support.reason };
      return;
    }
    const seconds = deadMansSwitchSeconds(input.exchange, input.deadMansSwitchSeconds);
    const at = Date.now();
    if (!shouldRearm(armedAtMs, seconds, at)) return;
    try {
      const r = await deadMan.armDeadMansSwitch({ ...ref, seconds });
      if (r.armed) armedAtMs = at;
      deadMansSwitch = { supported: true, seconds, armedUntil: r.armed ? r.triggerAt : deadMansSwitch?.armedUntil, ...(r.reason ? { reason: r.reason } : {}) };
    } catch (err) {
      // Only a log: the previous countdown still runs, and the next tick tries again.
      log.warn("dead man's switch not re-armed", { session, err: String(err) });
    }
  }

  /**
   * Low warm balance: pause trading and hand over to the rebalancing procedure,
   * which waits for a human to move funds and signals back when they arrive.
   */
  async function startRebalance(value: number): Promise<void> {
    const id = `${rebalanceWorkflowId(input.exchange, input.account)}/${++s.rebalances}`;
    s.mode = 'paused';
    await startChild(rebalanceWorkflow, {
      workflowId: id,
      args: [{ ...input.rebalance!, exchange: input.exchange, account: input.account, symbols: input.symbols, warmBalanceUsd: value, thresholdUsd: input.risk.lowBalanceUsd }],
      // The procedure outlives this run's continue-as-new and waits for its human regardless.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Manual top-up for ${session}: warm balance ${value.toFixed(2)} USD`,
    });
    s.rebalancing = id;
    await sessionEvent('rebalance_started', `warm balance ${value.toFixed(2)} USD below ${input.risk.lowBalanceUsd} USD: ${id}`);
  }

  /** A stop the venue did not confirm: cancel again; the stop's report gains what this round cancelled. */
  async function retryPendingCancels(req: StopRequest): Promise<void> {
    try {
      const late = await cancelEverything(req.by, `kill switch (retry): ${req.reason}`, false);
      s.cancelPending = undefined;
      s.lastStop = { session, stoppedAt: nowIso(), ...s.lastStop, cancelled: [...(s.lastStop?.cancelled ?? []), ...late], cancelPending: false };
      await sessionEvent('stop_cancels_confirmed', `by ${req.by}: the venue answered; cancelled ${late.length} order(s)`);
    } catch (err) {
      log.warn('stop: the venue still does not confirm the cancels', { err: String(err) });
    }
  }

  /** The breaker was opened by recordFailure: do what tripping does (audit, cancel, alert). */
  async function tripBreakerNow(): Promise<void> {
    const opened = s.breaker;
    s.breaker = { ...opened, status: 'closed' };
    await tripBreaker(opened.trippedBy ?? 'exchange_failures', opened.reason ?? 'exchange failures');
  }
}
