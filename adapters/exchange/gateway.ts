import { DDoSProtection, InvalidNonce, OrderNotFound, RateLimitExceeded, type Exchange, type Order } from 'ccxt';
import type { ExchangeId } from '../../config/schema';
import { DEAD_MANS_SWITCH, type DeadMansSwitchArm } from '../../domain/dead-mans-switch';
import type { Fill } from '../../domain/fill-ledger';
import type { Balance, MarketRules, OpenOrder, OrderIntent, Quote } from '../../domain/market';
import { classifyExchangeError, GatewayError } from './errors';
import { readKeyPermissions, type VenueKeyPermissions } from './permissions';
import { RateLimitGate, retryAfterSec } from './rate-limit-gate';
import { VenueClocks } from './venue-clocks';
import { VENUES, type VenueAdapter } from './venues';

export interface AccountState {
  quotes: Record<string, Quote>;
  balances: Record<string, Balance>;
  openOrders: OpenOrder[];
  markets: Record<string, MarketRules>;
  takerFeeRate: number;
}

export interface PlacedOrder {
  order: OpenOrder;
  /** True when a lookup by client order id found the order already at the venue (no second placement). */
  existed: boolean;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function toOpenOrder(o: Order): OpenOrder {
  const status = o.status === 'open' ? 'open' : o.status === 'canceled' || o.status === 'expired' || o.status === 'rejected' ? 'canceled' : 'closed';
  return {
    id: String(o.id),
    clientOrderId: o.clientOrderId ?? '',
    symbol: o.symbol ?? '',
    side: o.side === 'sell' ? 'sell' : 'buy',
    type: o.type === 'market' ? 'market' : 'limit',
    ...(o.price ? { price: o.price } : {}),
    amount: num(o.amount),
    filled: num(o.filled),
    status,
  };
}

/**
 * One exchange account seen through ccxt, by concern: markets, account state,
 * orders, key permissions. ccxt already unifies the venues; what differs (how
 * to find an order by client id, okx's missing cancel-all, permission formats,
 * the dead man's switch call) is the venue's module in venues/. There is
 * deliberately no withdrawal or transfer method: the desk must never be able to move funds.
 */
export class ExchangeGateway {
  private readonly quirks: VenueAdapter;

  /** The venue host the rate-limit gate is kept for (the simulator's, a testnet's, the venue's). */
  private readonly host: string;

  constructor(
    private readonly exchange: Exchange,
    readonly venue: ExchangeId,
    /** Shared by the process's gateways (CcxtGatewayProvider's); one of its own when built alone. */
    private readonly gate: RateLimitGate = new RateLimitGate(),
    private readonly clocks: VenueClocks = new VenueClocks(),
  ) {
    this.quirks = VENUES[venue];
    const first = JSON.stringify(exchange.urls.api).match(/https?:\/\/[^/"]+/);
    this.host = `${venue} ${first?.[0] ?? ''}`;
  }

  private async call<T>(mutating: boolean, fn: () => Promise<T>): Promise<T> {
    // Held back after a rate-limit answer: sent now, it would earn binance's IP ban, not an answer.
    const waitMs = this.gate.waitMs(this.host);
    if (waitMs > 0) {
      throw new GatewayError('retryable', this.venue, 'RateLimitBackoff', `${this.venue}: nothing sent, backing off ${waitMs} ms more after the venue's rate limit (its Retry-After)`);
    }
    try {
      // The venue's clock first (once per host and process): a host clock off by more than the
      // venue's window would have every signed request refused, the kill switch's cancels included.
      if (this.clocks.differenceMs(this.host) === undefined) await this.venueClock();
      this.exchange.options['timeDifference'] = this.clocks.differenceMs(this.host) ?? 0;
      // Markets first, as a read: a failure there has sent nothing that could change state.
      await this.marketsLoaded();
      return await fn();
    } catch (err) {
      if (err instanceof InvalidNonce || (err instanceof GatewayError && err.ccxtClass === 'InvalidNonce')) this.clocks.forget(this.host);
      if (err instanceof RateLimitExceeded || err instanceof DDoSProtection || (err instanceof GatewayError && (err.ccxtClass === 'RateLimitExceeded' || err.ccxtClass === 'DDoSProtection'))) {
        this.gate.limited(this.host, retryAfterSec(this.exchange.last_response_headers));
      }
      throw err instanceof GatewayError ? err : classifyExchangeError(err, this.venue, mutating);
    }
  }

  /**
   * ccxt keeps the promise of its first market load, failed or not, and hands it to every later
   * call: one rate-limited or 5xx load would break this client for good. A failed load is forgotten.
   */
  private async marketsLoaded(): Promise<void> {
    try {
      await this.exchange.loadMarkets();
    } catch (err) {
      (this.exchange as { marketsLoading?: Exchange['marketsLoading'] }).marketsLoading = undefined;
      throw classifyExchangeError(err, this.venue, false);
    }
  }

  async loadMarkets(symbols: string[]): Promise<Record<string, MarketRules>> {
    const markets = await this.call(false, () => this.exchange.loadMarkets());
    const out: Record<string, MarketRules> = {};
    for (const symbol of symbols) {
      const m = markets[symbol];
      if (!m) throw new GatewayError('rejected', this.venue, 'BadSymbol', `${this.venue} has no market ${symbol}`);
      out[symbol] = {
        symbol,
        base: m.base,
        quote: m.quote,
        amountStep: num(m.precision?.amount),
        priceStep: num(m.precision?.price),
        minAmount: num(m.limits?.amount?.min),
        minNotional: num(m.limits?.cost?.min),
      };
    }
    return out;
  }

  async accountState(symbols: string[]): Promise<AccountState> {
    const markets = await this.loadMarkets(symbols);
    const [tickers, balance, openOrders] = await Promise.all([
      this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchTicker(s)))),
      this.call(false, () => this.exchange.fetchBalance()),
      this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchOpenOrders(s)))),
    ]);
    const quotes: Record<string, Quote> = {};
    tickers.forEach((t, i) => {
      quotes[symbols[i]!] = { bid: num(t.bid), ask: num(t.ask), last: num(t.last) };
    });
    const balances: Record<string, Balance> = {};
    for (const [asset, total] of Object.entries(balance.total ?? {})) {
      const free = (balance.free as unknown as Record<string, number | undefined>)?.[asset];
      const used = (balance.used as unknown as Record<string, number | undefined>)?.[asset];
      balances[asset] = { free: num(free), used: num(used), total: num(total) };
    }
    const firstMarket = this.exchange.markets?.[symbols[0] ?? ''];
    return { quotes, balances, openOrders: openOrders.flat().map(toOpenOrder), markets, takerFeeRate: num(firstMarket?.taker) };
  }

  /** The order this client id names, open or not, or undefined if the venue never saw it. */
  async findByClientOrderId(symbol: string, clientOrderId: string): Promise<OpenOrder | undefined> {
    return this.call(false, async () => {
      const found = await this.quirks.findByClientOrderId(this.exchange, symbol, clientOrderId);
      return found ? toOpenOrder(found) : undefined;
    });
  }

  /**
   * Places an order under a client order id derived from workflow state. With
   * `lookupFirst` (any retry) it first asks the venue for that id and returns the
   * existing order instead of placing a second one; the caller must only ask once
   * every earlier request for this id is past its window, or "not found" means
   * nothing. `maySend` is asked right before the order goes out: a caller that may
   * already have been given up on must not send. After an unknown outcome it looks
   * once right away (an accepted order whose answer was lost); if that finds
   * nothing, the request may still land until its window closes, and the error
   * says so (kind `unknown_outcome`). Any other GatewayError means nothing was placed.
   */
  async placeOrder(intent: OrderIntent, clientOrderId: string, opts: { lookupFirst: boolean; maySend?: () => boolean }): Promise<PlacedOrder> {
    if (opts.lookupFirst) {
      const existing = await this.findByClientOrderId(intent.symbol, clientOrderId);
      if (existing) return { order: existing, existed: true };
    }
    if (opts.maySend && !opts.maySend()) {
      throw new GatewayError('retryable', this.venue, 'NotSent', `${this.venue}: order ${clientOrderId} not sent: too late in this attempt to be sure it is still the live one`);
    }
    try {
      const created = await this.call(true, () =>
        this.exchange.createOrder(intent.symbol, intent.type, intent.side, intent.amount, intent.type === 'limit' ? intent.price : undefined, { clientOrderId }),
      );
      // okx and bybit acknowledge a new order with its ids only; the rest is what we asked for.
      const order = toOpenOrder(created);
      return {
        order: {
          ...order,
          clientOrderId: created.clientOrderId ?? clientOrderId,
          symbol: intent.symbol,
          amount: created.amount ?? intent.amount,
          ...(intent.price !== undefined && !order.price ? { price: intent.price } : {}),
          status: created.status ? order.status : 'open',
        },
        existed: false,
      };
    } catch (err) {
      if (!(err instanceof GatewayError) || err.kind !== 'unknown_outcome') throw err;
      const existing = await this.findByClientOrderId(intent.symbol, clientOrderId).catch(() => undefined);
      if (existing) return { order: existing, existed: true };
      throw err;
    }
  }

  /**
   * What reconciliation compares with the session's intent: open orders on these symbols and
   * recently closed ones since `sinceMs` (venues page both; `limit` per symbol is enough for one
   * session's grid, and a fuller picture would only add closed orders nobody acts on).
   */
  async ordersOnSymbols(symbols: string[], sinceMs: number, limit = 50): Promise<{ open: OpenOrder[]; recent: OpenOrder[] }> {
    const [open, recent] = await Promise.all([
      this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchOpenOrders(s, undefined, limit)))),
      this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchClosedOrders(s, sinceMs, limit, this.quirks.closedOrdersParams)))),
    ]);
    return { open: open.flat().map(toOpenOrder), recent: recent.flat().map(toOpenOrder) };
  }

  /**
   * The account's fills on these symbols from `sinceMs` (inclusive), oldest first: the books' source
   * of truth. A trade ccxt could not parse into a whole fill (no id, order, price or amount) is an
   * error, not a silent gap: the ledger would count it as never filled.
   */
  async myTrades(symbols: string[], sinceMs: number, limit = 100): Promise<Fill[]> {
    const pages = await this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchMyTrades(s, sinceMs, limit))));
    return pages.flat().map((t): Fill => {
      if (!t.id || !t.order || !(num(t.price) > 0) || !(num(t.amount) > 0) || !t.timestamp) {
        throw new GatewayError('retryable', this.venue, 'BadResponse', `${this.venue}: a trade without id, order, price, amount or time (${String(t.id)})`);
      }
      return {
        id: String(t.id),
        orderId: String(t.order),
        // okx (clOrdId) and bybit (orderLinkId) name the order's client id on each fill; binance does not.
        clientOrderId: [t.info?.['clOrdId'], t.info?.['orderLinkId'], t.info?.['clientOrderId']].find((v): v is string => typeof v === 'string') ?? '',
        symbol: t.symbol ?? '',
        side: t.side === 'sell' ? 'sell' : 'buy',
        price: num(t.price),
        amount: num(t.amount),
        fee: { cost: Math.abs(num(t.fee?.cost)), currency: t.fee?.currency ?? '' },
        timeMs: t.timestamp,
      };
    });
  }

  /**
   * The venue's clock against this host's: its server time less the midpoint of the round trip.
   * Past the round trip's own uncertainty, ccxt's signed requests are stamped on the venue's clock
   * (its `timeDifference`, which binance, okx and bybit nonces subtract), so a skew cannot push
   * them outside the request window; within it they go back to the host's clock.
   */
  async venueClock(): Promise<{ skewMs: number; rttMs: number; adjusted: boolean }> {
    const sentAt = Date.now();
    // Public, unsigned: it answers whatever the skew (and outside call(), which would measure first).
    const serverMs = await this.exchange.fetchTime().catch((err: unknown) => {
      throw classifyExchangeError(err, this.venue, false);
    });
    const backAt = Date.now();
    const rttMs = backAt - sentAt;
    const skewMs = Math.round(num(serverMs) - (sentAt + backAt) / 2);
    const adjusted = Math.abs(skewMs) > Math.max(rttMs, 250);
    // ccxt's nonce is milliseconds() - timeDifference: a venue ahead by skew means a difference of -skew.
    this.clocks.measured(this.host, adjusted ? -skewMs : 0);
    this.exchange.options['timeDifference'] = adjusted ? -skewMs : 0;
    return { skewMs, rttMs, adjusted };
  }

  /** Cancels one order; an order already gone counts as done. */
  async cancelOrder(id: string, symbol: string): Promise<'cancelled' | 'already_closed'> {
    try {
      await this.exchange.cancelOrder(id, symbol);
      return 'cancelled';
    } catch (err) {
      if (err instanceof OrderNotFound) return 'already_closed';
      throw classifyExchangeError(err, this.venue, false);
    }
  }

  /**
   * Cancels every open order on these symbols and returns what it cancelled.
   * Venues page their open-order lists (bybit returns 20 by default), so it
   * repeats until a fetch comes back empty. A venue without a cancel-all in ccxt (okx): one by one.
   */
  async cancelAll(symbols: string[], maxRounds = 20): Promise<OpenOrder[]> {
    const cancelled = new Map<string, OpenOrder>();
    for (let round = 0; round < maxRounds; round++) {
      const open = (await this.call(false, () => Promise.all(symbols.map((s) => this.exchange.fetchOpenOrders(s, undefined, 50))))).flat().map(toOpenOrder);
      if (!open.length) return [...cancelled.values()];
      if (this.quirks.cancelAll === 'per-symbol' && this.exchange.has['cancelAllOrders']) {
        await this.call(false, () => Promise.all([...new Set(open.map((o) => o.symbol))].map((s) => this.exchange.cancelAllOrders(s))));
      } else {
        await Promise.all(open.map((o) => this.cancelOrder(o.id, o.symbol)));
      }
      for (const o of open) cancelled.set(o.id, { ...o, status: 'canceled' });
    }
    throw new GatewayError('retryable', this.venue, 'Incomplete', `${this.venue}: open orders remain after ${maxRounds} cancel rounds`);
  }

  /**
   * Arms (or re-arms) the venue's own dead man's switch for this account: unless armed again
   * within `seconds`, the venue cancels every open order itself. 0 disarms. A venue without one
   * for spot answers armed: false and the reason (domain/dead-mans-switch.ts); only a failed
   * request throws. The call is the venue's module's, through ccxt's implicit method, so the same
   * wire call reaches the venue or the simulator.
   */
  async armDeadMansSwitch(seconds: number): Promise<DeadMansSwitchArm> {
    const support = DEAD_MANS_SWITCH[this.venue];
    if (!support.supported) return { armed: false, venue: this.venue, reason: support.reason };
    const dms = this.quirks.deadMansSwitch;
    const arm = dms?.request(this.exchange);
    if (!dms || !arm) return { armed: false, venue: this.venue, reason: `this ccxt client has no cancel-all-after for ${this.venue}` };
    // Re-arming is idempotent: a lost answer is retried, never an unknown outcome.
    const response = await this.call(false, () => arm(seconds));
    const triggerMs = dms.triggerMs(response);
    if (Number.isFinite(triggerMs) && triggerMs > 0) return { armed: true, venue: this.venue, triggerAt: new Date(triggerMs).toISOString() };
    return { armed: false, venue: this.venue, reason: seconds === 0 ? 'disarmed' : `${this.venue} answered no trigger time` };
  }

  /** The key's own permissions as the venue reports them, in one shape for the auditor. */
  fetchKeyPermissions(): Promise<VenueKeyPermissions> {
    return this.call(false, () => readKeyPermissions(this.exchange, this.venue));
  }
}
