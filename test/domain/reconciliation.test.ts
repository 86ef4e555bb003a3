import { describe, expect, it } from 'vitest';
import { clientOrderId, isDeskClientOrderId } from '../../domain/client-order-id';
import type { OpenOrder } from '../../domain/market';
import {
  applyResolutions,
  classifyOrder,
  foreignKey,
  MAX_INTENDED,
  reconcile,
  rememberHandled,
  rememberIntended,
  type IntendedOrder,
  type ReconcileInput,
} from '../../domain/reconciliation';

const SESSION = 'binance/main';
const EPOCH = 'run-1';
const ours = (seq: number, epoch = EPOCH) => clientOrderId('binance', { session: SESSION, runSeq: seq, epoch });

let n = 0;
const order = (clientOrderId: string, over: Partial<OpenOrder> = {}): OpenOrder => ({
  id: `o${++n}`,
  clientOrderId,
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  price: 90_000,
  amount: 0.001,
  filled: 0,
  status: 'open',
  ...over,
});

const base = (over: Partial<ReconcileInput> = {}): ReconcileInput => ({
  session: SESSION,
  epoch: EPOCH,
  orderSeq: 5,
  intended: [],
  venueOpen: [],
  venueRecent: [],
  lookups: {},
  policy: 'cancel',
  handled: [],
  ...over,
});

describe('classifying venue orders by client order id', () => {
  it('own: this epoch, sequence reached; unknown: another epoch, no epoch, or a sequence never reached; foreign: no desk id', () => {
    expect(classifyOrder(ours(3), SESSION, EPOCH, 5)).toBe('own');
    expect(classifyOrder(ours(5), SESSION, EPOCH, 5)).toBe('own');
    expect(classifyOrder(ours(6), SESSION, EPOCH, 5)).toBe('unknown');
    expect(classifyOrder(ours(1, 'run-0'), SESSION, EPOCH, 5)).toBe('unknown');
    expect(classifyOrder(clientOrderId('binance', { session: SESSION, runSeq: 1 }), SESSION, EPOCH, 5)).toBe('unknown');
    expect(classifyOrder('manual-123', SESSION, EPOCH, 5)).toBe('foreign');
    expect(classifyOrder('', SESSION, EPOCH, 5)).toBe('foreign');
    // Near misses of the desk shape are an operator's, not ours.
    expect(isDeskClientOrderId('wd123')).toBe(false);
    expect(isDeskClientOrderId(`WD${ours(1).slice(2)}`)).toBe(false);
    expect(isDeskClientOrderId(ours(1))).toBe(true);
  });
});

describe('reconcile', () => {
  it('leaves the session own orders alone and finds nothing to report', () => {
    const r = reconcile(base({ venueOpen: [order(ours(1)), order(ours(2))], venueRecent: [order(ours(3), { status: 'closed', filled: 0.001 })] }));
    expect(r).toEqual({ cancel: [], adopt: [], unknownClosed: [], foreign: [], intruders: [], resolved: [], unresolved: [], incident: false });
  });

  it('cancels unknown open desk orders by default and opens an incident; foreign orders are reported, never touched', () => {
    const stale = order(ours(1, 'run-0'));
    const ahead = order(ours(9));
    const manual = order('my-manual-order');
    const r = reconcile(base({ venueOpen: [order(ours(1)), stale, ahead, manual] }));
    expect(r.cancel.map((o) => o.clientOrderId)).toEqual([stale.clientOrderId, ahead.clientOrderId]);
    expect(r.adopt).toEqual([]);
    expect(r.foreign).toEqual([manual]);
    expect(r.incident).toBe(true);
  });

  it('a foreign order alone opens no incident', () => {
    expect(reconcile(base({ venueOpen: [order('manual')] })).incident).toBe(false);
  });

  it("on an account that is the desk's alone, an order it did not place, open or closed, is an intruder, reported once", () => {
    const open = order('someone-else');
    const filled = order('', { status: 'closed', filled: 0.001 });
    const ownClosed = order(ours(2), { status: 'closed' });
    const r = reconcile(base({ venueOpen: [open, order(ours(1))], venueRecent: [filled, ownClosed], foreignOrders: 'unauthorized' }));
    expect(r.intruders).toEqual([open, filled]);
    // Still listed as foreign and never cancelled by reconciliation: the SEV-1's containment stops and cancels.
    expect(r.foreign).toEqual([open]);
    expect(r.cancel).toEqual([]);
    const again = reconcile(base({ venueOpen: [open], venueRecent: [filled], foreignOrders: 'unauthorized', handled: rememberHandled([], r.intruders.map(foreignKey)) }));
    expect(again.intruders).toEqual([]);
    // Shared with manual trading, or a run recorded before the rule: no intruders.
    expect(reconcile(base({ venueOpen: [open], venueRecent: [filled], foreignOrders: 'allowed' })).intruders).toEqual([]);
    expect(reconcile(base({ venueOpen: [open], venueRecent: [filled] })).intruders).toEqual([]);
  });

  it('adopts unknown open desk orders under the adopt policy', () => {
    const stale = order(ours(2, 'run-0'));
    const r = reconcile(base({ venueOpen: [stale], policy: 'adopt' }));
    expect(r.adopt).toEqual([stale]);
    expect(r.cancel).toEqual([]);
    expect(r.incident).toBe(true);
  });

  it('does not report an order twice: handled ids (adopted or cancelled earlier) are left as they are', () => {
    const stale = order(ours(2, 'run-0'));
    const r = reconcile(base({ venueOpen: [stale], policy: 'adopt', handled: [stale.clientOrderId] }));
    expect(r).toMatchObject({ adopt: [], cancel: [], incident: false });
    const cancelledAhead = order(ours(7), { status: 'canceled' });
    expect(reconcile(base({ venueRecent: [cancelledAhead], handled: [cancelledAhead.clientOrderId] })).incident).toBe(false);
  });

  it('reports a closed order of this epoch past the counter (a fill nobody intended), but not another epoch history', () => {
    const filledAhead = order(ours(8), { status: 'closed', filled: 0.001 });
    const oldEpoch = order(ours(1, 'run-0'), { status: 'closed', filled: 0.001 });
    const r = reconcile(base({ venueRecent: [filledAhead, oldEpoch, order('manual', { status: 'closed' })] }));
    expect(r.unknownClosed).toEqual([filledAhead]);
    expect(r.cancel).toEqual([]);
    expect(r.incident).toBe(true);
  });

  it('an order listed open and recently closed at once counts as open', () => {
    const stale = order(ours(1, 'run-0'));
    const r = reconcile(base({ venueOpen: [stale], venueRecent: [{ ...stale, status: 'closed' }] }));
    expect(r.cancel).toEqual([stale]);
    expect(r.unknownClosed).toEqual([]);
  });

  it('resolves intended orders of unknown outcome from the lists, then from lookups; without an answer they stay unresolved', () => {
    const intended: IntendedOrder[] = [
      { clientOrderId: ours(1), symbol: 'BTC/USDT', state: 'placed' },
      { clientOrderId: ours(2), symbol: 'BTC/USDT', state: 'unknown' },
      { clientOrderId: ours(3), symbol: 'BTC/USDT', state: 'unknown' },
      { clientOrderId: ours(4), symbol: 'BTC/USDT', state: 'unknown' },
      { clientOrderId: ours(5), symbol: 'BTC/USDT', state: 'unknown' },
    ];
    const open2 = order(ours(2));
    const filled3 = order(ours(3), { status: 'closed', filled: 0.001 });
    const r = reconcile(base({ intended, venueOpen: [open2], lookups: { [ours(3)]: filled3, [ours(4)]: null } }));
    expect(r.resolved).toEqual([
      { clientOrderId: ours(2), outcome: 'open', orderId: open2.id },
      { clientOrderId: ours(3), outcome: 'closed', orderId: filled3.id },
      { clientOrderId: ours(4), outcome: 'absent' },
    ]);
    expect(r.unresolved.map((i) => i.clientOrderId)).toEqual([ours(5)]);
    // A resolved intended order is the session's own: nothing to cancel.
    expect(r.cancel).toEqual([]);
    expect(r.incident).toBe(false);
  });
});

describe('the bounded records carried across continue-as-new', () => {
  it('keeps the last intended orders, never dropping one whose outcome is unknown', () => {
    let list: IntendedOrder[] = [{ clientOrderId: ours(0), symbol: 'BTC/USDT', state: 'unknown' }];
    for (let i = 1; i <= 40; i++) list = rememberIntended(list, { clientOrderId: ours(i), symbol: 'BTC/USDT', state: 'placed' });
    expect(list.length).toBe(MAX_INTENDED);
    expect(list[0]).toEqual({ clientOrderId: ours(0), symbol: 'BTC/USDT', state: 'unknown' });
    expect(list.at(-1)?.clientOrderId).toBe(ours(40));
  });

  it('applies resolutions: found orders become placed, absent ones go', () => {
    const list: IntendedOrder[] = [
      { clientOrderId: 'a', symbol: 'BTC/USDT', state: 'unknown' },
      { clientOrderId: 'b', symbol: 'BTC/USDT', state: 'unknown' },
      { clientOrderId: 'c', symbol: 'BTC/USDT', state: 'unknown' },
    ];
    expect(applyResolutions(list, [{ clientOrderId: 'a', outcome: 'closed' }, { clientOrderId: 'b', outcome: 'absent' }])).toEqual([
      { clientOrderId: 'a', symbol: 'BTC/USDT', state: 'placed' },
      { clientOrderId: 'c', symbol: 'BTC/USDT', state: 'unknown' },
    ]);
  });

  it('keeps handled ids unique and bounded', () => {
    const ids = Array.from({ length: 80 }, (_, i) => `id${i}`);
    const out = rememberHandled(['id79'], ids);
    expect(out.length).toBe(50);
    expect(new Set(out).size).toBe(50);
    expect(out.at(-1)).toBe('id79');
  });
});
