/**
 * A session's own fills in the books: realized P&L (average cost), fees paid, and which fills it has
 * already counted. Pure and small, so it rides in workflow state across continue-as-new: the cursor
 * (the newest fill time and the ids seen at exactly that time) is what makes a fill count once,
 * however often the venue's history is read again (a retry, a failover, a stream replay).
 */
import type { Quote, Side } from './market';
import { splitSymbol } from './portfolio';

/** One fill as the venue reports it (ccxt's unified trade, validated at the edge). */
export interface Fill {
  /** The venue's trade id. */
  id: string;
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  price: number;
  amount: number;
  /** What the venue charged, in the currency it charged it in (base on a buy at most venues). */
  fee: { cost: number; currency: string };
  /** Epoch ms. */
  timeMs: number;
}

export interface Position {
  /** Base held through the session's own fills (net of fees charged in base). */
  qty: number;
  /** What that qty cost, in quote (fees included). */
  cost: number;
}

export interface FillLedger {
  /** The newest fill time counted: the next read asks from here (inclusive). */
  sinceMs: number;
  /** Ids of the fills counted at exactly sinceMs: a read from sinceMs sees them again. */
  idsAtSince: string[];
  positions: Record<string, Position>;
  /** In the quote currency. */
  realizedPnl: number;
  /** Every fee, valued in the quote currency at the fill's price. */
  feesPaid: number;
  fills: number;
  /** Orders of the session with at least one fill, counted once each (recent ids kept to tell). */
  ordersFilled: number;
  recentOrderIds: string[];
}

/** How many filled order ids the ledger remembers; an order's fills arrive within minutes of each other. */
const RECENT_ORDERS = 200;

export function emptyLedger(sinceMs: number): FillLedger {
  return { sinceMs, idsAtSince: [], positions: {}, realizedPnl: 0, feesPaid: 0, fills: 0, ordersFilled: 0, recentOrderIds: [] };
}

/**
 * How far the venue's clock may run behind the worker's and its fills still count: a session's first
 * fills carry the venue's time, its cursor starts from the worker's.
 */
export const VENUE_CLOCK_SKEW_MS = 60_000;

/**
 * The ledger a session starts with: the venue's history so far is the past (seen, not counted), so
 * the books hold only what this session traded. With no history, it starts a skew allowance before now.
 */
export function startLedger(history: readonly Fill[], nowMs: number): FillLedger {
  const newest = history.reduce((m, f) => Math.max(m, f.timeMs), Number.NEGATIVE_INFINITY);
  const sinceMs = Math.max(newest, nowMs - VENUE_CLOCK_SKEW_MS);
  return { ...emptyLedger(sinceMs), idsAtSince: history.filter((f) => f.timeMs === sinceMs).map((f) => f.id) };
}

/** How far back a session's first read looks for the history it must not count. */
export const START_LOOKBACK_MS = 24 * 3_600_000;

/** The fee's value in quote: a fee in base is worth its amount at the fill's price; any other currency is taken at face value. */
export function feeInQuote(f: Fill): number {
  const { base } = splitSymbol(f.symbol);
  return f.fee.currency === base ? f.fee.cost * f.price : f.fee.cost;
}

/**
 * Counts the fills not yet counted, oldest first, and returns them (the ones to audit and meter).
 * A fill older than the cursor was counted by an earlier read; one at the cursor's time counts unless its id was seen.
 */
export function applyFills(ledger: FillLedger, fills: readonly Fill[]): { ledger: FillLedger; fresh: Fill[]; firstFills: Fill[] } {
  const seenAtSince = new Set(ledger.idsAtSince);
  const byId = new Map<string, Fill>();
  for (const f of fills) {
    if (f.timeMs < ledger.sinceMs || (f.timeMs === ledger.sinceMs && seenAtSince.has(f.id))) continue;
    byId.set(f.id, f);
  }
  const fresh = [...byId.values()].sort((a, b) => a.timeMs - b.timeMs || a.id.localeCompare(b.id));
  if (!fresh.length) return { ledger, fresh, firstFills: [] };

  const positions = { ...ledger.positions };
  let { realizedPnl, feesPaid, ordersFilled } = ledger;
  const recent = [...ledger.recentOrderIds];
  const firstFills: Fill[] = [];
  for (const f of fresh) {
    const { base } = splitSymbol(f.symbol);
    const p = positions[f.symbol] ?? { qty: 0, cost: 0 };
    const fee = feeInQuote(f);
    feesPaid += fee;
    const feeInBase = f.fee.currency === base ? f.fee.cost : 0;
    const feeOutsideBase = feeInBase ? 0 : fee;
    if (f.side === 'buy') {
      positions[f.symbol] = { qty: p.qty + f.amount - feeInBase, cost: p.cost + f.price * f.amount + feeOutsideBase };
    } else {
      // Average cost: what leaves carries its share of the cost; a sale beyond the position has no cost basis.
      const sold = Math.min(f.amount, p.qty);
      const basis = p.qty > 0 ? (p.cost * sold) / p.qty : 0;
      realizedPnl += f.price * sold - basis - fee;
      positions[f.symbol] = { qty: p.qty - sold, cost: p.cost - basis };
    }
    if (!recent.includes(f.orderId)) {
      ordersFilled += 1;
      recent.push(f.orderId);
      firstFills.push(f);
    }
  }
  const newest = fresh[fresh.length - 1]!.timeMs;
  const idsAtSince = newest === ledger.sinceMs ? [...ledger.idsAtSince, ...fresh.filter((f) => f.timeMs === newest).map((f) => f.id)] : fresh.filter((f) => f.timeMs === newest).map((f) => f.id);
  return {
    ledger: {
      sinceMs: newest,
      idsAtSince,
      positions,
      realizedPnl,
      feesPaid,
      fills: ledger.fills + fresh.length,
      ordersFilled,
      recentOrderIds: recent.slice(-RECENT_ORDERS),
    },
    fresh,
    firstFills,
  };
}

/** Mark-to-market of the session's own positions against their cost, in quote. */
export function unrealizedPnl(ledger: FillLedger, quotes: Record<string, Quote>): number {
  let total = 0;
  for (const [symbol, p] of Object.entries(ledger.positions)) {
    const q = quotes[symbol];
    const mark = q ? (q.bid && q.ask ? (q.bid + q.ask) / 2 : q.last) : undefined;
    if (mark !== undefined && p.qty > 0) total += mark * p.qty - p.cost;
  }
  return total;
}

/** The share of placed orders that filled at all; undefined before the first order. */
export function fillRate(ledger: FillLedger, ordersPlaced: number): number | undefined {
  return ordersPlaced > 0 ? Math.min(1, ledger.ordersFilled / ordersPlaced) : undefined;
}
