/**
 * The trading session's order reconciliation (issue #12, NautilusTrader's contract), kept out of
 * the session loop: the loop asks for it (start of every run, failover, unknown outcome) and asks
 * whether it may trade. The decisions are domain/reconciliation.ts's, on data an activity read.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import type { ExchangeId, MarketSnapshot } from '../domain/market';
import { ORDER_RETRY_INTERVAL_MS } from '../domain/order-timing';
import {
  applyResolutions,
  classifyOrder,
  MAX_HANDLED,
  reconcile,
  rememberHandled,
  rememberIntended,
  foreignKey,
  type ForeignOrderPolicy,
  type IntendedOrder,
  type UnknownOrderPolicy,
} from '../domain/reconciliation';
import type { AlertName } from '../domain/severity';
import type { ReconciliationCarried, ReconciliationStatus } from '../contracts/session';
import { FAILURE } from '../contracts/failures';
import { failureMessage } from './failure';

/** Reads are quick and few: a venue that cannot answer three times leaves reconciliation failed until the next tick. */
const { cancelOrders, readVenueOrders } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 3, nonRetryableErrorTypes: [FAILURE.exchangeAuth] },
});

/** Recently closed orders looked at: a day covers any order an earlier run of this session could have lost. */
const RECENT_WINDOW_MS = 24 * 3600_000;
/** On a desk-only account, how often closed orders are read again for fills nobody here placed. */
export const INTRUDER_SWEEP_MS = 15 * 60_000;

export interface ReconcilerOptions {
  session: string;
  epoch: string;
  ref: { exchange: ExchangeId; account: string };
  symbols: string[];
  policy: UnknownOrderPolicy;
  /** 'unauthorized': the account is the desk's alone, and an order it did not place is an intrusion. */
  foreignOrders: ForeignOrderPolicy;
  carried?: ReconciliationCarried;
  /** The first trigger (every run starts with a reconciliation). */
  trigger: string;
  orderSeq: () => number;
  audit: (data: {
    session: string;
    trigger: string;
    outcome: 'ok' | 'pending' | 'failed';
    cancelled: string[];
    adopted: string[];
    unknownClosed: string[];
    foreign: string[];
    intruders?: string[];
    resolved: string[];
    unresolved: string[];
    detail?: string;
  }) => Promise<unknown>;
  alert: (name: AlertName, message: string) => Promise<void>;
}

export interface Gate {
  ok: boolean;
  /** The snapshot without the orders reconciliation cancelled (the strategy must not count them). */
  snapshot: MarketSnapshot;
  reason?: string;
}

function describeOrder(x: { id: string; clientOrderId: string; symbol: string; side: string; status: string }): string {
  return `${x.symbol} ${x.side} ${x.id}${x.clientOrderId ? ` (${x.clientOrderId})` : ''} ${x.status}`;
}

export function sessionReconciler(o: ReconcilerOptions) {
  const c = o.carried;
  let intended: IntendedOrder[] = c?.intended ?? [];
  let handled: string[] = c?.handled ?? [];
  let adopted: string[] = c?.adopted ?? [];
  let cancelled: string[] = c?.cancelled ?? [];
  let runs = c?.runs ?? 0;
  // Every run starts unreconciled: a crash or a new epoch may have left orders nobody knows.
  let needed: string | undefined = o.trigger;
  let notBeforeMs = 0;
  let foreign: string[] = [];
  let lastRunMs = Date.now();
  const st: Pick<ReconciliationStatus, 'state' | 'trigger' | 'at' | 'reason'> = { state: 'pending', trigger: o.trigger, reason: `reconciliation (${o.trigger}) has not run yet` };

  const unknownIds = () => intended.filter((i) => i.state === 'unknown').map((i) => i.clientOrderId);
  const nowIso = () => new Date(Date.now()).toISOString();

  async function fail(reason: string): Promise<false> {
    const changed = st.state !== 'failed' || st.reason !== reason;
    Object.assign(st, { state: 'failed', at: nowIso(), reason });
    // Audited when it starts failing (or fails differently), not on every tick of an outage.
    if (changed) {
      await o.audit({ session: o.session, trigger: st.trigger ?? '', outcome: 'failed', cancelled: [], adopted: [], unknownClosed: [], foreign: [], resolved: [], unresolved: unknownIds(), detail: reason });
    }
    return false;
  }

  async function run(snapshot: MarketSnapshot): Promise<Gate> {
    const trigger = needed ?? 'unknown outcome';
    st.trigger = trigger;
    const lookups = intended.filter((i) => i.state === 'unknown').map((i) => ({ clientOrderId: i.clientOrderId, symbol: i.symbol }));
    let view;
    try {
      view = await readVenueOrders({ ...o.ref, symbols: o.symbols, sinceMs: Date.now() - RECENT_WINDOW_MS, lookups });
    } catch (err) {
      const reason = `reconciliation failed: the venue's orders could not be read (${failureMessage(err)}); no order is placed until it completes`;
      return { ok: await fail(reason), snapshot, reason };
    }
    const r = reconcile({
      session: o.session,
      epoch: o.epoch,
      orderSeq: o.orderSeq(),
      intended,
      venueOpen: view.open,
      venueRecent: view.recent,
      lookups: view.lookups,
      policy: o.policy,
      foreignOrders: o.foreignOrders,
      handled,
    });
    if (r.cancel.length) {
      try {
        await cancelOrders({
          ...o.ref,
          orders: r.cancel.map((x) => ({ id: x.id, clientOrderId: x.clientOrderId, symbol: x.symbol })),
          reason: `reconciliation: order unknown to ${o.session}`,
          by: o.session,
        });
      } catch (err) {
        const reason = `reconciliation failed: unknown orders could not be cancelled (${failureMessage(err)}); no order is placed until it completes`;
        return { ok: await fail(reason), snapshot, reason };
      }
    }
    const ids = (list: Array<{ clientOrderId: string }>) => list.map((x) => x.clientOrderId);
    intended = applyResolutions(intended, r.resolved);
    handled = rememberHandled(handled, [...ids(r.cancel), ...ids(r.adopt), ...ids(r.unknownClosed), ...r.intruders.map(foreignKey)]);
    adopted = [...adopted, ...ids(r.adopt)].slice(-MAX_HANDLED);
    cancelled = [...cancelled, ...ids(r.cancel)].slice(-MAX_HANDLED);
    foreign = ids(r.foreign);
    runs += 1;
    lastRunMs = Date.now();
    needed = r.unresolved.length ? trigger : undefined;
    const reason = r.unresolved.length ? `reconciliation pending: outcome of ${ids(r.unresolved).join(', ')} still unknown` : undefined;
    Object.assign(st, { state: reason ? 'pending' : 'ok', at: nowIso(), reason });
    await o.audit({
      session: o.session,
      trigger,
      outcome: st.state,
      cancelled: ids(r.cancel),
      adopted: ids(r.adopt),
      unknownClosed: ids(r.unknownClosed),
      foreign,
      ...(r.intruders.length ? { intruders: r.intruders.map(describeOrder) } : {}),
      resolved: r.resolved.map((x) => `${x.clientOrderId}:${x.outcome}`),
      unresolved: ids(r.unresolved),
    });
    if (r.incident) {
      const what = [
        r.cancel.length ? `cancelled ${r.cancel.length} (${ids(r.cancel).join(', ')})` : '',
        r.adopt.length ? `adopted ${r.adopt.length} (${ids(r.adopt).join(', ')})` : '',
        r.unknownClosed.length ? `${r.unknownClosed.length} already closed (${ids(r.unknownClosed).join(', ')})` : '',
      ].filter(Boolean);
      await o.alert('unknown_orders', `${o.session}: reconciliation (${trigger}) found orders under the desk's ids that the session never intended: ${what.join('; ')}`);
    }
    if (r.intruders.length) {
      // Seed section 7, "Unauthorized API access": the account is the desk's alone, so an order it never placed means someone else trades with its keys.
      await o.alert(
        'unauthorized_access',
        `${o.session}: ${r.intruders.length} order(s) under the desk's account that the desk did not place (${r.intruders.map(describeOrder).join(', ')}): someone else may be using its API keys`,
      );
    }
    const gone = new Set(r.cancel.map((x) => x.id));
    const cleaned = gone.size ? { ...snapshot, openOrders: snapshot.openOrders.filter((x) => !gone.has(x.id)) } : snapshot;
    return { ok: !reason, snapshot: cleaned, reason };
  }

  return {
    /** Asks for a reconciliation before the next order; `afterMs`: not before every request of an unknown outcome has expired. */
    request(trigger: string, afterMs = 0): void {
      needed = trigger;
      notBeforeMs = Math.max(notBeforeMs, Date.now() + afterMs);
      Object.assign(st, { state: 'pending', trigger, reason: `reconciliation (${trigger}) has not run yet` });
    },

    /**
     * On an account that is the desk's alone: an open order in the tick's snapshot that the desk did not
     * place asks for a reconciliation at once (it finds and reports the intruder); closed ones are swept
     * every INTRUDER_SWEEP_MS. Decides on the snapshot only: no venue call unless one is due.
     */
    watchForIntruders(snapshot: MarketSnapshot): void {
      if (o.foreignOrders !== 'unauthorized' || needed !== undefined) return;
      const known = new Set(handled);
      const stranger = snapshot.openOrders.find((x) => classifyOrder(x.clientOrderId, o.session, o.epoch, o.orderSeq()) === 'foreign' && !known.has(foreignKey(x)));
      if (stranger) this.request('an open order the desk did not place');
      else if (Date.now() - lastRunMs >= INTRUDER_SWEEP_MS) this.request('periodic sweep for orders the desk did not place');
    },

    placed(clientOrderId: string, symbol: string): void {
      intended = rememberIntended(intended, { clientOrderId, symbol, state: 'placed' });
    },

    /** A placement ended without an answer: reconcile once its last request can no longer land, and trade only after. */
    unknownOutcome(clientOrderId: string, symbol: string): void {
      intended = rememberIntended(intended, { clientOrderId, symbol, state: 'unknown' });
      this.request(`unknown outcome of ${clientOrderId}`, ORDER_RETRY_INTERVAL_MS);
    },

    /** Runs a reconciliation if one is due; says whether the session may place orders now. */
    async gate(snapshot: MarketSnapshot): Promise<Gate> {
      if (needed === undefined) return { ok: true, snapshot };
      if (Date.now() < notBeforeMs) {
        const reason = `reconciliation pending: waiting until ${new Date(notBeforeMs).toISOString()} for unanswered order requests to expire`;
        Object.assign(st, { state: 'pending', reason });
        return { ok: false, snapshot, reason };
      }
      const gate = await run(snapshot);
      if (!gate.ok) log.warn('reconciliation did not complete', { session: o.session, reason: gate.reason });
      return gate;
    },

    status(): ReconciliationStatus {
      return { ...st, policy: o.policy, adopted, cancelled, unknown: unknownIds(), foreign, runs };
    },

    carried(): ReconciliationCarried {
      return { intended, handled, adopted, cancelled, runs };
    },
  };
}

export type SessionReconciler = ReturnType<typeof sessionReconciler>;
