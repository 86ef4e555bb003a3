/**
 * One tick of a trading session: snapshot -> marks and loss limits -> failover check -> rebalance
 * check -> reconciliation gate -> strategy -> risk engine -> orders under deterministic client
 * order ids. The strategy and the risk engine are pure and run here, so every decision is in history.
 */
import { CancellationScope, isCancellation, log, patched } from '@temporalio/workflow';
import { isOpen, type FailureKind } from '../../domain/circuit-breaker';
import { clientOrderId } from '../../domain/client-order-id';
import { DEAD_MANS_SWITCH, deadMansSwitchSeconds, shouldRearm } from '../../domain/dead-mans-switch';
import type { OrderIntent } from '../../domain/market';
import { valuePortfolio } from '../../domain/portfolio';
import { checkOrder, checkPortfolio, initialRiskState, markToMarket, recordOrder } from '../../domain/risk';
import { runStrategy } from '../../domain/strategy';
import { mayPlace, mayStartRebalance } from '../../domain/trading-state';
import { FAILURE } from '../../contracts/failures';
import { failureType } from '../failure';
import { applyFills, fillRate, START_LOOKBACK_MS, startLedger, unrealizedPnl } from '../../domain/fill-ledger';
import { clockCheckDue, describeSkew, skewAlarming } from '../../domain/venue-clock';
import { armDeadMansSwitch, checkVenueClock, fetchFills, placeOrder, publishMarks, recordAudit, recordFills, snapshotAccount } from './activities';
import type { SessionRun } from './run';

export async function runTick(run: SessionRun, armsDeadMansSwitch: boolean): Promise<void> {
  // Asked before any activity of the tick: a patch first asked after a local activity (publishMarks)
  // failed to replay (the marker came before the code that asks for it).
  const readsFills = patched('books-from-fills');
  const before = run.snapshot;
  try {
    await tick(run, armsDeadMansSwitch);
  } finally {
    // Last, whatever the tick decided (a halted session's earlier orders still fill), and only on a
    // fresh snapshot: reading the books between the snapshot and the decisions would widen the window
    // in which a decision rests on stale prices.
    if (readsFills && run.snapshot && run.snapshot !== before) await readFills(run);
  }
}

async function tick(run: SessionRun, armsDeadMansSwitch: boolean): Promise<void> {
  const { input, ref, session } = run;
  run.kept.ticks += 1;
  const confirmedBefore = run.cancelsConfirmed;
  // Before the snapshot: a skewed venue clock refuses the snapshot's signed reads until it is measured.
  const tickMs = Date.now();
  if (clockCheckDue(run.clockCheckedMs, tickMs) && patched('venue-clock-check')) await checkClock(run, tickMs);
  try {
    const read = await snapshotAccount({ ...ref, symbols: input.symbols });
    // The venue confirmed a cancel-all while this snapshot was in flight: the orders it read are gone.
    run.snapshot = run.cancelsConfirmed === confirmedBefore ? read : { ...read, openOrders: [] };
  } catch (err) {
    return exchangeFailed(run, failureType(err) === FAILURE.exchangeAuth ? 'auth' : 'retryable');
  }
  void run.apply({ type: 'read_succeeded' });
  const snapshot = run.snapshot;

  const nowMs = Date.parse(snapshot.at);
  const value = valuePortfolio(snapshot).total;
  const m = markToMarket(run.kept.risk ?? initialRiskState(value, nowMs), value, nowMs);
  run.kept.risk = m.state;
  run.marks = { value, dailyPnlPct: m.dailyPnlPct, drawdownPct: m.drawdownPct };
  // Workflow tasks stick to one worker while it lives, and local activities run there:
  // a different identity here means the previous worker died and another took over.
  const { worker } = await publishMarks({ ...ref, ...run.marks, breakerOpen: isOpen(run.control.breaker) });
  const last = run.kept.lastWorker;
  if (last && worker !== last) {
    run.kept.failovers += 1;
    await run.sessionEvent('failover', `worker ${last} -> ${worker}`);
    await run.alert('failover_occurred', `${session}: worker ${last} stopped answering; ${worker} took over`);
    run.recon?.request('failover');
  }
  run.kept.lastWorker = worker;

  const breaches = checkPortfolio(input.risk, m).filter((b) => b.rule === 'daily_loss' || b.rule === 'max_drawdown');
  if (breaches.length && !isOpen(run.control.breaker)) {
    return run.apply({ type: 'loss_limit', rule: breaches[0]!.rule as 'daily_loss' | 'max_drawdown', reason: breaches.map((b) => b.reason).join('; ') });
  }
  // Not awaited: a slow or failing venue call must not hold up (or stop) trading.
  if (armsDeadMansSwitch && !run.arming) {
    run.arming = true;
    void keepDeadMansSwitchArmed(run).finally(() => (run.arming = false));
  }
  if (mayStartRebalance(run.control) && input.rebalance && value < input.risk.lowBalanceUsd && patched('rebalance-on-low-balance')) {
    await run.apply({ type: 'low_balance', warmBalanceUsd: value });
  }
  if (run.recon) {
    run.recon.watchForIntruders(run.snapshot);
    // Nothing is placed until the venue's orders match the session's intent.
    const gate = await run.recon.gate(run.snapshot);
    run.snapshot = gate.snapshot;
    if (!gate.ok) {
      run.lastRefusals = [gate.reason ?? 'reconciliation has not completed'];
      return;
    }
  }
  if (!mayPlace(run.control)) return;
  const decision = runStrategy(input.strategy, run.snapshot, run.kept.strategy);
  run.kept.strategy = decision.state;
  run.lastRefusals = [];
  const refusalsNow = new Set<string>();
  try {
    await placeIntents(run, decision.intents, refusalsNow);
  } finally {
    run.refusedLastTick = refusalsNow;
  }
}

/** An exchange call failed: the breaker counts it, and opens (and halts) at its threshold or on an auth failure. */
function exchangeFailed(run: SessionRun, kind: FailureKind): Promise<void> {
  // Runs recorded before the breaker halted once re-tripped an open breaker (audit, cancel, alert) on every failure.
  const legacyRetrip = isOpen(run.control.breaker) && !patched('breaker-halts-once');
  return run.apply({ type: 'exchange_failed', kind, threshold: kind === 'auth' ? undefined : run.input.failureThreshold, legacyRetrip });
}

async function placeIntents(run: SessionRun, intents: OrderIntent[], refusalsNow: Set<string>): Promise<void> {
  const { input, ref, session } = run;
  if (!run.snapshot || !run.kept.risk) return;
  for (const intent of intents) {
    // The kill switch and the breaker take effect between any two orders.
    if (!mayPlace(run.control)) return;
    const check = checkOrder(input.risk, intent, run.snapshot, run.kept.risk, Date.now());
    if (!check.ok) {
      run.lastRefusals.push(`${intent.side} ${intent.amount} ${intent.symbol}: ${check.reason}`);
      // The same refusal every tick would flood the trail: audit it when it first appears.
      const refusalKey = `${check.rule}/${intent.side}/${intent.symbol}`;
      refusalsNow.add(refusalKey);
      if (patched('audit-new-refusals-only') && run.refusedLastTick.has(refusalKey)) continue;
      await recordAudit({
        id: run.auditId('refused'),
        type: 'order_refused',
        actor: session,
        data: { exchange: input.exchange, account: input.account, symbol: intent.symbol, rule: check.rule, reason: check.reason },
      });
      continue;
    }
    const id = clientOrderId(input.exchange, { session, runSeq: ++run.kept.orderSeq, epoch: run.epoch });
    const outcome = await placeOne(run, intent, id);
    if (outcome === 'placed') continue;
    if (outcome === 'rejected') {
      run.lastRefusals.push(`${intent.side} ${intent.amount} ${intent.symbol}: rejected by ${input.exchange}`);
      continue;
    }
    // A stop called this placement off; its second sweep cancels whatever the venue still took.
    if (outcome === 'called_off') return;
    // Counted once the placement is no longer in flight: a halt's cancel waits for placements in flight.
    return exchangeFailed(run, outcome);
  }
}

/** One placement under its client order id, called off by a stop; its outcome for the loop to act on. */
async function placeOne(run: SessionRun, intent: OrderIntent, clientOrderId: string): Promise<'placed' | 'rejected' | 'called_off' | FailureKind> {
  run.placing += 1;
  try {
    await CancellationScope.cancellable(async () => {
      run.placementScope = CancellationScope.current();
      await placeOrder({ ...run.ref, session: run.session, intent, clientOrderId });
    });
    run.kept.risk = recordOrder(run.kept.risk!, Date.now());
    run.recon?.placed(clientOrderId, intent.symbol);
    return 'placed';
  } catch (err) {
    if (run.control.stopRequested && isCancellation(err)) return 'called_off';
    const type = failureType(err);
    if (type === FAILURE.exchangeAuth) return 'auth';
    if (type === FAILURE.exchangeRejected) return 'rejected';
    // Retries ran out with the outcome unknown: the id is never reused, and reconciliation resolves it before the next order.
    run.recon?.unknownOutcome(clientOrderId, intent.symbol);
    return 'retryable';
  } finally {
    run.placing -= 1;
    run.placementScope = undefined;
  }
}

/**
 * Keeps the venue's own countdown running while the session may have orders resting (trading or
 * paused): if the desk dies, the venue cancels them itself. Stopped or halted, the cancels already
 * ran and nothing new is placed, so it is left to run out on an empty book.
 */
async function keepDeadMansSwitchArmed(run: SessionRun): Promise<void> {
  const { input, ref } = run;
  if (run.control.mode === 'stopped' || isOpen(run.control.breaker)) return;
  const support = DEAD_MANS_SWITCH[input.exchange];
  if (!support.supported) {
    run.deadMansSwitch = { supported: false, reason: support.reason };
    return;
  }
  const seconds = deadMansSwitchSeconds(input.exchange, input.deadMansSwitchSeconds);
  const at = Date.now();
  if (!shouldRearm(run.armedAtMs, seconds, at)) return;
  try {
    const r = await armDeadMansSwitch({ ...ref, seconds });
    if (r.armed) run.armedAtMs = at;
    run.deadMansSwitch = { supported: true, seconds, armedUntil: r.armed ? r.triggerAt : run.deadMansSwitch?.armedUntil, ...(r.reason ? { reason: r.reason } : {}) };
  } catch (err) {
    // Only a log: the previous countdown still runs, and the next tick tries again.
    log.warn("dead man's switch not re-armed", { session: run.session, err: String(err) });
  }
}

/**
 * The fills since the ledger's cursor, into the books: each new one audited and metered once. A failed
 * read leaves the cursor where it was, so the next tick reads the same window again and misses nothing.
 */
async function readFills(run: SessionRun): Promise<void> {
  const { input, ref, session, snapshot } = run;
  if (!snapshot) return;
  const nowMs = Date.parse(snapshot.at);
  let fills;
  try {
    fills = await fetchFills({ ...ref, symbols: input.symbols, sinceMs: run.kept.fills?.sinceMs ?? nowMs - START_LOOKBACK_MS });
  } catch (err) {
    log.warn('fills not read this tick; the next one reads the same window', { session, error: failureType(err) });
    // The books start now even unread: the orders this tick places must not become "the venue's past".
    run.kept.fills ??= startLedger([], nowMs);
    return;
  }
  // The first read is the venue's past: the books start after it.
  const ledger = run.kept.fills ?? startLedger(fills, nowMs);
  const { ledger: next, fresh, firstFills } = applyFills(ledger, fills);
  const rate = fillRate(next, run.kept.orderSeq);
  const books = { realizedPnl: next.realizedPnl, unrealizedPnl: unrealizedPnl(next, snapshot.quotes), feesPaid: next.feesPaid, fills: next.fills, ...(rate !== undefined ? { fillRate: rate } : {}) };
  // The ledger moves on only once its trades are on the trail.
  if (fresh.length || !run.books) await recordFills({ ...ref, session, fresh, firstFills, books });
  run.kept.fills = next;
  run.books = books;
}

/** Measures the venue's clock (first tick of a run, then every 10 min); a skew past a second is an operator's to fix. */
async function checkClock(run: SessionRun, nowMs: number): Promise<void> {
  run.clockCheckedMs = nowMs;
  try {
    const { skewMs } = await checkVenueClock(run.ref);
    if (skewAlarming(skewMs)) {
      await run.alert('clock_skew', `${run.session}: ${describeSkew(skewMs)}; signed requests are stamped on the venue's clock meanwhile. Fix the host's time sync (NTP).`);
    }
  } catch (err) {
    log.warn('venue clock not measured; the next check tries again', { session: run.session, error: failureType(err) });
  }
}
