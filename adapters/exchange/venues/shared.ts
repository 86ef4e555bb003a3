import { OrderNotFound, type Exchange, type Order } from 'ccxt';
import type { z } from 'zod';

type ImplicitCall = (params?: Record<string, unknown>) => Promise<unknown>;

/** One of ccxt's implicit (raw endpoint) methods, bound to its client; throws if this client has none. */
export function implicit(exchange: Exchange, name: string): ImplicitCall {
  const fn = (exchange as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`ccxt ${exchange.id} has no ${name}`);
  return (fn as ImplicitCall).bind(exchange);
}

/** Venue responses are validated like any other input from outside; a surprise is an error that names the field. */
export function parseVenueResponse<T extends z.ZodType>(venue: string, endpoint: string, schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw new Error(`${venue} ${endpoint} answered in an unexpected shape: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return r.data as z.infer<T>;
}

/** ccxt's fetchOrder looks the order up by the client id in `params` when the exchange id is absent. */
export async function fetchOrderByClientIdParam(exchange: Exchange, symbol: string, params: Record<string, string>): Promise<Order | undefined> {
  try {
    return await exchange.fetchOrder(undefined as unknown as string, symbol, params);
  } catch (err) {
    if (err instanceof OrderNotFound) return undefined;
    throw err;
  }
}
