/**
 * Order reconciliation (NautilusTrader's contract, issue #12): what the venue holds under
 * the desk's client order ids, compared with what the session intended. Pure: the workflow
 * runs it on plain data an activity read, so every decision is in history.
 *
 * An order is classified by its client order id (domain/client-order-id.ts):
 * - own: this session and epoch, sequence at or below the session's counter (the workflow placed it);
 * - unknown: the desk's id shape, but not own (another epoch of this session, i.e. a workflow that
 *   was terminated and started afresh, or a sequence the workflow never reached): cancelled or
 *   adopted per policy, and an incident;
 * - foreign: no desk id. On an account that is the desk's alone (`foreignOrders: 'unauthorized'`, the
 *   default) it is evidence that someone else uses the account's keys: reported as an intrusion (SEV-1).
 *   Where manual trading shares the account (`'allowed'`), it is never touched, only reported.
 */
import { isDeskClientOrderId, parseClientOrderId } from './client-order-id';
import type { OpenOrder } from './market';

export const UNKNOWN_ORDER_POLICIES = ['cancel', 'adopt'] as const;
export type UnknownOrderPolicy = (typeof UNKNOWN_ORDER_POLICIES)[number];
export const FOREIGN_ORDER_POLICIES = ['unauthorized', 'allowed'] as const;
export type ForeignOrderPolicy = (typeof FOREIGN_ORDER_POLICIES)[number];

/** An order the session placed or tried to place; 'unknown' once its placement ended without an answer. */
export interface IntendedOrder {
  clientOrderId: string;
  symbol: string;
  state: 'placed' | 'unknown';
}

export interface ReconcileInput {
  session: string;
  /** The session's id scope (its first run id). */
  epoch: string;
  /** The highest sequence the session has used: ids of this epoch up to it are its own. */
  orderSeq: number;
  intended: readonly IntendedOrder[];
  venueOpen: readonly OpenOrder[];
  /** Recently closed orders (filled, cancelled) on the session's symbols. */
  venueRecent: readonly OpenOrder[];
  /** Lookups by client order id of intended orders with an unknown outcome: null means the venue never saw it. */
  lookups: Readonly<Record<string, OpenOrder | null>>;
  policy: UnknownOrderPolicy;
  /** Absent: 'allowed' (runs recorded before the desk-only rule). */
  foreignOrders?: ForeignOrderPolicy;
  /** Client order ids an earlier reconciliation already cancelled or adopted: not reported twice. */
  handled: readonly string[];
}

export interface ResolvedIntent {
  clientOrderId: string;
  outcome: 'open' | 'closed' | 'canceled' | 'absent';
  orderId?: string;
}

export interface Reconciliation {
  /** Unknown open desk orders to cancel (policy cancel). */
  cancel: OpenOrder[];
  /** Unknown open desk orders kept and managed as the session's own from now on (policy adopt). */
  adopt: OpenOrder[];
  /** Unknown desk orders of this epoch already closed (a fill nobody intended): nothing to cancel, but reported. */
  unknownClosed: OpenOrder[];
  /** Open orders without a desk id: left alone. */
  foreign: OpenOrder[];
  /** Orders without a desk id, open or recently closed, on an account that is the desk's alone: not reported before. */
  intruders: OpenOrder[];
  /** Intended orders whose unknown outcome the venue answered. */
  resolved: ResolvedIntent[];
  /** Intended orders still without an answer: trading waits for them. */
  unresolved: IntendedOrder[];
  /** Something an operator must look at (an unknown desk order). */
  incident: boolean;
}

type Kind = 'own' | 'unknown' | 'foreign';

/** How a foreign order is remembered as handled: many have no client id, so by the venue's order id. */
export function foreignKey(o: Pick<OpenOrder, 'id'>): string {
  return `venue:${o.id}`;
}

export function classifyOrder(clientOrderId: string, session: string, epoch: string, orderSeq: number): Kind {
  const seq = parseClientOrderId(clientOrderId, session, epoch);
  if (seq !== undefined) return seq <= orderSeq ? 'own' : 'unknown';
  return isDeskClientOrderId(clientOrderId) ? 'unknown' : 'foreign';
}

export function reconcile(input: ReconcileInput): Reconciliation {
  const handled = new Set(input.handled);
  const out: Reconciliation = { cancel: [], adopt: [], unknownClosed: [], foreign: [], intruders: [], resolved: [], unresolved: [], incident: false };
  const intrusion = (o: OpenOrder) => input.foreignOrders === 'unauthorized' && !handled.has(foreignKey(o));
  const byClientId = new Map<string, OpenOrder>();
  const seen = new Set<string>();

  // Open first: an order listed both open and recently closed (a race between the two reads) counts as open.
  for (const o of [...input.venueOpen, ...input.venueRecent]) {
    if (seen.has(o.id)) continue;
    seen.add(o.id);
    if (o.clientOrderId) byClientId.set(o.clientOrderId, o);
    const kind = classifyOrder(o.clientOrderId, input.session, input.epoch, input.orderSeq);
    if (kind === 'own') continue;
    if (kind === 'foreign' && intrusion(o)) out.intruders.push(o);
    if (o.status !== 'open') {
      // Another epoch's closed orders were known to that epoch's workflow (its history has them);
      // only a closed id of this epoch past the counter is something nobody here intended.
      if (kind === 'unknown' && parseClientOrderId(o.clientOrderId, input.session, input.epoch) !== undefined && !handled.has(o.clientOrderId)) {
        out.unknownClosed.push(o);
      }
      continue;
    }
    if (kind === 'foreign') out.foreign.push(o);
    // Adopted earlier: the session's own now, and reported already.
    else if (handled.has(o.clientOrderId)) continue;
    else if (input.policy === 'adopt') out.adopt.push(o);
    else out.cancel.push(o);
  }

  for (const intent of input.intended) {
    if (intent.state !== 'unknown') continue;
    const found = byClientId.get(intent.clientOrderId) ?? input.lookups[intent.clientOrderId];
    if (found === undefined) out.unresolved.push(intent);
    else if (found === null) out.resolved.push({ clientOrderId: intent.clientOrderId, outcome: 'absent' });
    else out.resolved.push({ clientOrderId: intent.clientOrderId, outcome: found.status, orderId: found.id });
  }

  out.incident = out.cancel.length + out.adopt.length + out.unknownClosed.length > 0;
  return out;
}

/** How many intended orders the session carries across continue-as-new: unknown ones are never dropped. */
export const MAX_INTENDED = 20;
export const MAX_HANDLED = 50;

/** Appends `order` and trims to the bound, dropping the oldest settled entries first. */
export function rememberIntended(list: readonly IntendedOrder[], order: IntendedOrder): IntendedOrder[] {
  const next = [...list.filter((o) => o.clientOrderId !== order.clientOrderId), order];
  while (next.length > MAX_INTENDED) {
    const i = next.findIndex((o) => o.state === 'placed');
    if (i < 0) break;
    next.splice(i, 1);
  }
  return next;
}

/** The intended list once resolutions are applied: resolved unknowns become placed (or go, if absent). */
export function applyResolutions(list: readonly IntendedOrder[], resolved: readonly ResolvedIntent[]): IntendedOrder[] {
  const by = new Map(resolved.map((r) => [r.clientOrderId, r]));
  return list.flatMap((o) => {
    const r = by.get(o.clientOrderId);
    if (!r) return [o];
    return r.outcome === 'absent' ? [] : [{ ...o, state: 'placed' as const }];
  });
}

export function rememberHandled(list: readonly string[], ids: readonly string[]): string[] {
  // A re-handled id moves to the end: the newest survive the bound.
  const fresh = new Set(ids);
  return [...list.filter((id) => !fresh.has(id)), ...fresh].slice(-MAX_HANDLED);
}
