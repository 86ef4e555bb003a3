import type { BookLevels, Market, PriceMove } from './market';
import { clean, floorTo, isMultipleOf } from './numbers';
import type {
  ApiKeySpec,
  BalanceView,
  Fill,
  OrderKind,
  OrderSide,
  PublicKeyView,
  RegisteredKey,
  SimOrder,
  SymbolSpec,
  TimeInForce,
  VenueId,
} from './types';

/** Venue-neutral failures; each dialect turns them into its own code and message. */
export type CoreErrorKind =
  | 'unknown_symbol'
  | 'invalid_quantity'
  | 'invalid_price'
  | 'min_notional'
  | 'insufficient_funds'
  | 'duplicate_client_order_id'
  | 'order_not_found'
  | 'order_not_open'
  | 'would_take'
  | 'bad_request';

export class CoreError extends Error {
  constructor(
    readonly kind: CoreErrorKind,
    message: string,
    /** e.g. which filter: 'step' or 'min' for invalid_quantity; the short asset for insufficient_funds. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export interface PlaceOrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderKind;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  price?: number;
  /** Base quantity. */
  amount?: number;
  /** Market orders only: spend (buy) or raise (sell) this much quote instead of a base quantity. */
  quoteAmount?: number;
  clientOrderId: string;
  /** 'open': a client id may be reused once its order is closed (binance, okx); 'all': never (bybit). */
  clientIdScope: 'open' | 'all';
  /** Binance rejects a post-only order that would take; okx and bybit accept it and cancel it at once. */
  postOnlyTaking: 'reject' | 'cancel';
}

export interface OrderSelector {
  id?: string;
  clientOrderId?: string;
  symbol?: string;
}

export interface FeeSchedule {
  maker: number;
  taker: number;
}

/** One fill as the account's trade history shows it: the fill and the order it belongs to. */
export interface AccountTrade extends Fill {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  /** The order's type: okx and bybit report it on each fill. */
  orderType: OrderKind;
}

/** A trade on the venue's public tape: every account's fills and the market's own prints. */
export interface PublicTrade {
  id: number;
  symbol: string;
  price: number;
  qty: number;
  /** The taker's side. */
  side: OrderSide;
  time: number;
}

/**
 * Whether the venue publishes a minimum order value in its market data (binance's NOTIONAL filter,
 * bybit's minOrderAmt) and so enforces one. okx publishes only minSz: a venue that enforced a value
 * no client can read would refuse orders no bot could size right.
 */
export const ENFORCES_MIN_NOTIONAL: Record<VenueId, boolean> = { binance: true, okx: false, bybit: true };

/** How many public trades each venue's tape keeps (binance serves up to 1000 per request). */
export const PUBLIC_TAPE_LENGTH = 1000;

interface Holding {
  total: number;
  used: number;
}

/** Order ids in each venue's own shape: binance numeric, okx/bybit long numeric strings. */
const ORDER_ID: Record<VenueId, (seq: number) => string> = {
  binance: (n) => String(8_000_000 + n),
  okx: (n) => `7${String(n).padStart(17, '0')}`,
  bybit: (n) => `1${String(n).padStart(18, '0')}`,
};

const splitSymbol = (symbol: string): [string, string] => {
  const [base = '', quote = ''] = symbol.split('/');
  return [base, quote];
};

/** Accounts, keys, orders and the matching engine, shared by the three venue dialects. */
export class ExchangeCore {
  private keys = new Map<string, RegisteredKey>();
  private holdings = new Map<string, Map<string, Holding>>();
  private orderList: SimOrder[] = [];
  private orderById = new Map<string, SimOrder>();
  private orderSeq: Record<VenueId, number> = { binance: 0, okx: 0, bybit: 0 };
  private tradeSeq = 0;
  /** Per venue and symbol, newest last: what `publicTrades` serves. */
  private tapes = new Map<string, PublicTrade[]>();
  /** Armed cancel-after countdowns (venue dead man's switches), by `venue:account`. */
  private countdowns = new Map<string, { triggerAt: number; timer: NodeJS.Timeout }>();

  constructor(
    readonly market: Market,
    private readonly fees: FeeSchedule,
    private readonly clock: () => number = Date.now,
  ) {}

  reset(seed?: number): void {
    this.clearCountdowns();
    this.keys.clear();
    this.holdings.clear();
    this.orderList = [];
    this.orderById.clear();
    this.orderSeq = { binance: 0, okx: 0, bybit: 0 };
    this.tradeSeq = 0;
    this.tapes.clear();
    this.market.reset(seed);
  }

  // ---- keys ----

  registerKey(spec: ApiKeySpec): void {
    if (spec.venue === 'okx' && !spec.passphrase) throw new CoreError('bad_request', 'okx keys need a passphrase');
    this.keys.set(`${spec.venue}:${spec.apiKey}`, {
      ...spec,
      permissions: { ...spec.permissions },
      ipWhitelist: [...spec.ipWhitelist],
      revoked: false,
      createdAt: this.clock(),
    });
  }

  revokeKey(venue: VenueId, apiKey: string): boolean {
    const key = this.keys.get(`${venue}:${apiKey}`);
    if (!key) return false;
    key.revoked = true;
    return true;
  }

  key(venue: VenueId, apiKey: string): RegisteredKey | undefined {
    return this.keys.get(`${venue}:${apiKey}`);
  }

  listKeys(venue?: VenueId): PublicKeyView[] {
    return [...this.keys.values()]
      .filter((k) => !venue || k.venue === venue)
      .map(({ secret: _s, passphrase: _p, ...rest }) => ({ ...rest, permissions: { ...rest.permissions }, ipWhitelist: [...rest.ipWhitelist] }));
  }

  // ---- balances ----

  setBalance(venue: VenueId, account: string, asset: string, total: number): void {
    const h = this.holding(venue, account, asset);
    if (total < h.used) throw new CoreError('bad_request', `${asset} total ${total} is below the ${h.used} reserved by open orders`);
    h.total = clean(total);
  }

  balances(venue: VenueId, account: string): Record<string, BalanceView> {
    const out: Record<string, BalanceView> = {};
    for (const [asset, h] of this.holdings.get(`${venue}:${account}`) ?? []) {
      out[asset] = { total: h.total, used: h.used, free: clean(h.total - h.used) };
    }
    return out;
  }

  // ---- prices ----

  tick(steps = 1): PriceMove[] {
    const moves = this.market.tick(steps);
    for (const m of moves) this.printMove(m);
    return moves;
  }

  setPrice(symbol: string, price: number): PriceMove {
    if (!this.market.spec(symbol)) throw new CoreError('unknown_symbol', `unknown symbol ${symbol}`);
    const move = this.market.setPrice(symbol, price);
    this.printMove(move);
    return move;
  }

  // ---- trades ----

  /** The account's fills, oldest first (what myTrades / fills-history / execution list read). */
  accountTrades(venue: VenueId, account: string, symbol?: string): AccountTrade[] {
    return this.orders(venue, account)
      .filter((o) => !symbol || o.symbol === symbol)
      .flatMap((o) => o.fills.map((f): AccountTrade => ({ ...f, orderId: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol, side: o.side, orderType: o.type })))
      .sort((a, b) => a.tradeId - b.tradeId);
  }

  /** The venue's public tape for a symbol, newest last. */
  publicTrades(venue: VenueId, symbol: string): PublicTrade[] {
    return this.tapes.get(`${venue}:${symbol}`) ?? [];
  }

  /** A fill prints under its own trade id, so the tape and the account's history name it alike. */
  private print(venue: VenueId, t: Omit<PublicTrade, 'id'>, id = ++this.tradeSeq): void {
    const key = `${venue}:${t.symbol}`;
    const tape = this.tapes.get(key) ?? [];
    tape.push({ id, ...t });
    if (tape.length > PUBLIC_TAPE_LENGTH) tape.splice(0, tape.length - PUBLIC_TAPE_LENGTH);
    this.tapes.set(key, tape);
  }

  /** A price move prints on every venue's tape (the market trades there too), then sweeps resting orders. */
  private printMove(move: PriceMove): void {
    const spec = this.market.spec(move.symbol);
    const previous = this.tapes.get(`binance:${move.symbol}`)?.at(-1)?.price;
    if (spec) {
      for (const venue of Object.keys(this.orderSeq) as VenueId[]) {
        this.print(venue, { symbol: move.symbol, price: move.price, qty: spec.minQty * 10, side: previous !== undefined && move.price < previous ? 'sell' : 'buy', time: this.clock() });
      }
    }
    this.sweep(move);
  }

  // ---- orders ----

  orders(venue: VenueId, account: string): SimOrder[] {
    return this.orderList.filter((o) => o.venue === venue && o.account === account);
  }

  openOrders(venue: VenueId, account: string, symbol?: string): SimOrder[] {
    return this.orders(venue, account).filter((o) => o.status === 'open' && (!symbol || o.symbol === symbol));
  }

  findOrder(venue: VenueId, account: string, sel: OrderSelector): SimOrder | undefined {
    let found: SimOrder | undefined;
    if (sel.id !== undefined && sel.id !== '') {
      found = this.orderById.get(`${venue}:${sel.id}`);
    } else if (sel.clientOrderId) {
      // Binance lets a client id be reused after its order closed: the newest one wins, as on the venue.
      found = [...this.orderList].reverse().find((o) => o.venue === venue && o.account === account && o.clientOrderId === sel.clientOrderId);
    }
    if (!found || found.account !== account || (sel.symbol && found.symbol !== sel.symbol)) return undefined;
    return found;
  }

  placeOrder(venue: VenueId, account: string, apiKey: string, req: PlaceOrderRequest): SimOrder {
    const spec = this.market.spec(req.symbol);
    if (!spec) throw new CoreError('unknown_symbol', `unknown symbol ${req.symbol}`);
    const [base, quote] = splitSymbol(spec.symbol);
    const tif: TimeInForce = req.type === 'market' ? 'IOC' : (req.timeInForce ?? 'GTC');
    this.validate(venue, spec, req);
    if (req.clientOrderId && this.clientIdTaken(venue, account, req.clientOrderId, req.clientIdScope)) {
      throw new CoreError('duplicate_client_order_id', `client order id ${req.clientOrderId} already used`);
    }

    const book = this.market.book(spec.symbol);
    const takes = this.takerFills(spec, req, book);
    const takenQty = clean(takes.reduce((s, [, q]) => s + q, 0));
    const takenCost = clean(takes.reduce((s, [p, q]) => s + p * q, 0));
    const amount = req.amount ?? takenQty;

    // Funds are checked against what the order could need; limit buys reserve at their limit price.
    const need = req.side === 'buy' ? (req.type === 'limit' ? clean((req.price ?? 0) * amount) : takenCost) : req.amount ?? takenQty;
    const payAsset = req.side === 'buy' ? quote : base;
    const pay = this.holding(venue, account, payAsset);
    if (need > clean(pay.total - pay.used) + 1e-12) {
      throw new CoreError('insufficient_funds', `insufficient ${payAsset}: need ${need}, free ${clean(pay.total - pay.used)}`, payAsset);
    }
    if (req.postOnly && takes.length > 0 && req.postOnlyTaking === 'reject') {
      throw new CoreError('would_take', 'post-only order would immediately match and take');
    }

    const now = this.clock();
    const seq = ++this.orderSeq[venue];
    const order: SimOrder = {
      venue,
      account,
      apiKey,
      id: ORDER_ID[venue](seq),
      clientOrderId: req.clientOrderId,
      symbol: spec.symbol,
      side: req.side,
      type: req.type,
      timeInForce: tif,
      postOnly: req.postOnly === true,
      price: req.type === 'limit' ? req.price : undefined,
      amount,
      quoteAmount: req.quoteAmount,
      filled: 0,
      cost: 0,
      fee: 0,
      feeAsset: req.side === 'buy' ? base : quote,
      status: 'open',
      createdAt: now,
      updatedAt: now,
      fills: [],
    };
    this.orderList.push(order);
    this.orderById.set(`${venue}:${order.id}`, order);

    if (req.postOnly && takes.length > 0) {
      order.status = 'canceled';
      return order;
    }
    if (tif === 'FOK' && takenQty < amount) {
      order.status = 'expired';
      return order;
    }
    if (order.type === 'limit') this.reserve(order, amount);
    for (const [price, qty] of takes) this.fill(order, price, qty, 'taker');
    if (order.status === 'open' && tif !== 'GTC') this.close(order, 'expired');
    return order;
  }

  cancelOrder(venue: VenueId, account: string, sel: OrderSelector): SimOrder {
    const order = this.findOrder(venue, account, sel);
    if (!order) throw new CoreError('order_not_found', 'order does not exist');
    if (order.status !== 'open') throw new CoreError('order_not_open', `order is ${order.status}`);
    this.close(order, 'canceled');
    return order;
  }

  cancelAll(venue: VenueId, account: string, symbol?: string): SimOrder[] {
    const open = this.openOrders(venue, account, symbol);
    for (const o of open) this.close(o, 'canceled');
    return open;
  }

  // ---- dead man's switch ----

  /**
   * Arms (or re-arms) the account's cancel-after countdown: unless armed again first, every open
   * order of the account, on every symbol, is cancelled `ms` from now. 0 disarms. Returns the
   * trigger time (epoch ms, this core's clock), or undefined when disarmed. The timer is unref'd:
   * an armed countdown never keeps a test or the paper desk alive.
   */
  armCancelAfter(venue: VenueId, account: string, ms: number): number | undefined {
    const id = `${venue}:${account}`;
    const armed = this.countdowns.get(id);
    if (armed) clearTimeout(armed.timer);
    this.countdowns.delete(id);
    if (ms <= 0) return undefined;
    const triggerAt = this.clock() + ms;
    const timer = setTimeout(() => {
      this.countdowns.delete(id);
      // As on the venues, the switch fires once and stays off until armed again.
      this.cancelAll(venue, account);
    }, ms);
    timer.unref();
    this.countdowns.set(id, { triggerAt, timer });
    return triggerAt;
  }

  /** When the account's countdown fires (epoch ms), or undefined when none is armed. */
  cancelAfter(venue: VenueId, account: string): number | undefined {
    return this.countdowns.get(`${venue}:${account}`)?.triggerAt;
  }

  clearCountdowns(): void {
    for (const c of this.countdowns.values()) clearTimeout(c.timer);
    this.countdowns.clear();
  }

  // ---- internals ----

  private holding(venue: VenueId, account: string, asset: string): Holding {
    const id = `${venue}:${account}`;
    let acct = this.holdings.get(id);
    if (!acct) this.holdings.set(id, (acct = new Map()));
    let h = acct.get(asset);
    if (!h) acct.set(asset, (h = { total: 0, used: 0 }));
    return h;
  }

  private clientIdTaken(venue: VenueId, account: string, clientOrderId: string, scope: 'open' | 'all'): boolean {
    return this.orderList.some(
      (o) => o.venue === venue && o.account === account && o.clientOrderId === clientOrderId && (scope === 'all' || o.status === 'open'),
    );
  }

  private validate(venue: VenueId, spec: SymbolSpec, req: PlaceOrderRequest): void {
    if (req.type === 'limit') {
      if (req.price === undefined || !(req.price > 0)) throw new CoreError('invalid_price', 'limit orders need a positive price', 'missing');
      if (!isMultipleOf(req.price, spec.tickSize)) throw new CoreError('invalid_price', `price must be a multiple of ${spec.tickSize}`, 'tick');
    }
    if (req.amount !== undefined) {
      if (!(req.amount > 0) || req.amount < spec.minQty) throw new CoreError('invalid_quantity', `quantity must be at least ${spec.minQty}`, 'min');
      if (!isMultipleOf(req.amount, spec.stepSize)) throw new CoreError('invalid_quantity', `quantity must be a multiple of ${spec.stepSize}`, 'step');
    } else if (!(req.type === 'market' && req.quoteAmount !== undefined && req.quoteAmount > 0)) {
      throw new CoreError('invalid_quantity', 'an order needs a quantity', 'min');
    }
    const notional = req.quoteAmount ?? (req.amount ?? 0) * (req.price ?? this.market.price(spec.symbol));
    if (ENFORCES_MIN_NOTIONAL[venue] && notional < spec.minNotional) throw new CoreError('min_notional', `order value must be at least ${spec.minNotional}`);
  }

  /** What the order takes from the synthetic book right now; a market order's last level absorbs any rest. */
  private takerFills(spec: SymbolSpec, req: PlaceOrderRequest, book: BookLevels): Array<[number, number]> {
    const levels = req.side === 'buy' ? book.asks : book.bids;
    const out: Array<[number, number]> = [];
    let qtyLeft = req.amount ?? Infinity;
    let quoteLeft = req.amount === undefined ? (req.quoteAmount ?? 0) : Infinity;
    for (const [i, [price, size]] of levels.entries()) {
      if (req.type === 'limit' && req.price !== undefined && (req.side === 'buy' ? price > req.price : price < req.price)) break;
      const bottomless = req.type === 'market' && i === levels.length - 1;
      const affordable = quoteLeft === Infinity ? Infinity : floorTo(quoteLeft / price, spec.stepSize);
      const take = clean(Math.min(bottomless ? Infinity : size, qtyLeft, affordable));
      if (!(take > 0) || take === Infinity) break;
      out.push([price, take]);
      qtyLeft = clean(qtyLeft - take);
      if (quoteLeft !== Infinity) quoteLeft = clean(quoteLeft - take * price);
      if (qtyLeft <= 0) break;
    }
    return out;
  }

  private reserve(order: SimOrder, qty: number): void {
    const [base, quote] = splitSymbol(order.symbol);
    const h = this.holding(order.venue, order.account, order.side === 'buy' ? quote : base);
    h.used = clean(h.used + (order.side === 'buy' ? qty * (order.price ?? 0) : qty));
  }

  private release(order: SimOrder, qty: number): void {
    if (order.type !== 'limit') return;
    const [base, quote] = splitSymbol(order.symbol);
    const h = this.holding(order.venue, order.account, order.side === 'buy' ? quote : base);
    h.used = Math.max(0, clean(h.used - (order.side === 'buy' ? qty * (order.price ?? 0) : qty)));
  }

  private fill(order: SimOrder, price: number, qty: number, liquidity: 'maker' | 'taker'): void {
    const [base, quote] = splitSymbol(order.symbol);
    const cost = clean(price * qty);
    const rate = liquidity === 'maker' ? this.fees.maker : this.fees.taker;
    // Fees come out of what the order receives, as on all three venues without fee tokens.
    const fee = clean((order.side === 'buy' ? qty : cost) * rate);
    const b = this.holding(order.venue, order.account, base);
    const q = this.holding(order.venue, order.account, quote);
    this.release(order, qty);
    if (order.side === 'buy') {
      q.total = clean(q.total - cost);
      b.total = clean(b.total + qty - fee);
    } else {
      b.total = clean(b.total - qty);
      q.total = clean(q.total + cost - fee);
    }
    const now = this.clock();
    const tradeId = ++this.tradeSeq;
    order.fills.push({ tradeId, price, qty, fee, feeAsset: order.feeAsset, liquidity, time: now } satisfies Fill);
    // The taker's side prints: a resting (maker) order filled by the market's move was hit by its opposite.
    this.print(order.venue, { symbol: order.symbol, price, qty, side: liquidity === 'taker' ? order.side : order.side === 'buy' ? 'sell' : 'buy', time: now }, tradeId);
    order.filled = clean(order.filled + qty);
    order.cost = clean(order.cost + cost);
    order.fee = clean(order.fee + fee);
    order.updatedAt = now;
    if (order.filled >= order.amount - 1e-12) order.status = 'filled';
  }

  private close(order: SimOrder, status: 'canceled' | 'expired'): void {
    this.release(order, clean(order.amount - order.filled));
    order.status = status;
    order.updatedAt = this.clock();
  }

  /** Resting limit orders fill at their own price when a move sweeps through it. */
  private sweep(move: PriceMove): void {
    for (const o of this.orderList) {
      if (o.status !== 'open' || o.type !== 'limit' || o.symbol !== move.symbol || o.price === undefined) continue;
      const crossed = o.side === 'buy' ? move.low <= o.price : move.high >= o.price;
      if (crossed) this.fill(o, o.price, clean(o.amount - o.filled), 'maker');
    }
  }
}
