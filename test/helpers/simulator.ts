import type { Balances, Exchange } from 'ccxt';
import { createCcxtExchange } from '../../adapters/exchange/ccxt-factory';
import { startSimulator, type ApiKeySpec, type Simulator, type SimulatorOptions, type VenueId } from '../../simulator/index';

export const ACCOUNT = 'acct';

/** A deterministic key for a venue; override any field (permissions, whitelist, account...). */
export function testKey(venue: VenueId, over: Partial<ApiKeySpec> = {}): ApiKeySpec {
  return {
    venue,
    account: ACCOUNT,
    apiKey: `${venue}TestKey0001`,
    secret: `${venue}-test-secret-0001`,
    ...(venue === 'okx' ? { passphrase: 'Test-Pass-1' } : {}),
    permissions: { read: true, trade: true, withdraw: false, transfer: false },
    ipWhitelist: ['127.0.0.1'],
    ...over,
  };
}

/** The real ccxt client for this key, pointed at the simulator. */
export function clientFor(sim: Pick<Simulator, 'url'>, key: Pick<ApiKeySpec, 'venue' | 'apiKey' | 'secret' | 'passphrase'>, opts: { timeoutMs?: number } = {}): Exchange {
  return createCcxtExchange(key.venue, {
    baseUrl: sim.url,
    credentials: { apiKey: key.apiKey, secret: key.secret, ...(key.passphrase ? { passphrase: key.passphrase } : {}) },
    enableRateLimit: false,
    timeoutMs: opts.timeoutMs ?? 5_000,
  });
}

/** Registers the default test key, funds its account, and returns a ccxt client for it. */
export function fundedClient(sim: Simulator, venue: VenueId, balances: Record<string, number> = { USDT: 10_000, BTC: 1, ETH: 10 }): Exchange {
  const key = testKey(venue);
  sim.registerKey(key);
  for (const [asset, total] of Object.entries(balances)) sim.setBalance(venue, key.account, asset, total);
  return clientFor(sim, key);
}

/** Each venue names the client order id differently when looking an order up. */
export function byClientId(venue: VenueId, clientOrderId: string): Record<string, unknown> {
  if (venue === 'binance') return { origClientOrderId: clientOrderId };
  if (venue === 'okx') return { clOrdId: clientOrderId };
  return { orderLinkId: clientOrderId, acknowledged: true };
}

/** ccxt makes bybit callers acknowledge that fetchOrder only sees the last 500 orders. */
export function fetchParams(venue: VenueId): Record<string, unknown> {
  return venue === 'bybit' ? { acknowledged: true } : {};
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

export function simulatorOptions(over: SimulatorOptions = {}): SimulatorOptions {
  return { seed: 42, startTime: Date.UTC(2026, 0, 1), ...over };
}

export { startSimulator };

/** One figure of a ccxt balance (ccxt types the per-asset maps loosely). */
export function amountOf(balance: Balances, kind: 'total' | 'free' | 'used', asset: string): number | undefined {
  const map = (balance as unknown as Record<string, Record<string, number | undefined> | undefined>)[kind];
  return map?.[asset];
}
