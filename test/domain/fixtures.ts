import type { Balance, MarketRules, MarketSnapshot, OpenOrder, Quote } from '../../domain/market';

/** A balance with nothing locked in orders. */
export const bal = (free: number, used = 0): Balance => ({ free, used, total: free + used });

/** A quote with a tight book around `mid`. */
export const px = (mid: number, spread = 0): Quote => ({ bid: mid - spread / 2, ask: mid + spread / 2, last: mid });

export const rules = (symbol: string, over: Partial<MarketRules> = {}): MarketRules => {
  const [base = '', quote = ''] = symbol.split('/');
  return { symbol, base, quote, amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minNotional: 5, ...over };
};

export const order = (over: Partial<OpenOrder> & Pick<OpenOrder, 'price' | 'side'>): OpenOrder => ({
  id: `o-${over.side}-${over.price}`,
  clientOrderId: `c-${over.side}-${over.price}`,
  symbol: 'BTC/USDT',
  type: 'limit',
  amount: 0.01,
  filled: 0,
  status: 'open',
  ...over,
});

export function snapshot(over: Partial<MarketSnapshot> = {}): MarketSnapshot {
  return {
    exchange: 'binance',
    account: 'main',
    at: '2025-01-15T12:00:00.000Z',
    quotes: {},
    balances: {},
    openOrders: [],
    markets: { 'BTC/USDT': rules('BTC/USDT'), 'ETH/USDT': rules('ETH/USDT') },
    takerFeeRate: 0,
    ...over,
  };
}
