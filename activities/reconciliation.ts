import { ApplicationFailure } from '@temporalio/common';
import { GatewayError } from '../adapters/exchange/errors';
import type { OpenOrder } from '../domain/market';
import type { ActivityDeps } from './deps';
import type { AccountRef } from './trading';

/** What the venue shows for reconciliation: plain order data, nothing about keys. */
export interface VenueOrders {
  open: OpenOrder[];
  recent: OpenOrder[];
  /** Each looked-up client order id's order, or null if the venue never saw it. */
  lookups: Record<string, OpenOrder | null>;
  at: string;
}

function toFailure(err: unknown): never {
  if (err instanceof GatewayError) {
    throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: err.kind === 'auth', details: [{ kind: err.kind, ccxtClass: err.ccxtClass }] });
  }
  throw err;
}

export function createReconciliationActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const gw = (ref: AccountRef) => deps.gateways.gateway(ref.exchange, ref.account, 'trading');

  return {
    /** Reads open and recent orders on the session's symbols and looks up the ids whose outcome is unknown. */
    async readVenueOrders(input: AccountRef & { symbols: string[]; sinceMs: number; lookups: Array<{ clientOrderId: string; symbol: string }> }): Promise<VenueOrders> {
      try {
        const g = await gw(input);
        const { open, recent } = await g.ordersOnSymbols(input.symbols, input.sinceMs);
        const lookups: Record<string, OpenOrder | null> = {};
        for (const l of input.lookups) lookups[l.clientOrderId] = (await g.findByClientOrderId(l.symbol, l.clientOrderId)) ?? null;
        deps.metrics.exchangeRequests.inc({ exchange: input.exchange }, 2 * input.symbols.length + input.lookups.length);
        return { open, recent, lookups, at: now().toISOString() };
      } catch (err) {
        deps.metrics.exchangeErrors.inc({ exchange: input.exchange, kind: err instanceof GatewayError ? err.kind : 'other' });
        return toFailure(err);
      }
    },

    /** Cancels the orders reconciliation named and records each; an order already gone counts as done. */
    async cancelOrders(
      input: AccountRef & { orders: Array<Pick<OpenOrder, 'id' | 'clientOrderId' | 'symbol'>>; reason: string; by: string },
    ): Promise<Array<{ id: string; clientOrderId: string; outcome: 'cancelled' | 'already_closed' }>> {
      try {
        const g = await gw(input);
        const out: Array<{ id: string; clientOrderId: string; outcome: 'cancelled' | 'already_closed' }> = [];
        for (const o of input.orders) {
          const outcome = await g.cancelOrder(o.id, o.symbol);
          await deps.audit.record({
            id: `order_cancelled/${input.exchange}/${input.account}/${o.id}`,
            type: 'order_cancelled',
            actor: input.by,
            data: { exchange: input.exchange, account: input.account, symbol: o.symbol, orderId: o.id, clientOrderId: o.clientOrderId, reason: input.reason },
          });
          out.push({ id: o.id, clientOrderId: o.clientOrderId, outcome });
        }
        return out;
      } catch (err) {
        return toFailure(err);
      }
    },
  };
}
