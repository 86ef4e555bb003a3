import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DeadMansSwitchArm } from '../domain/dead-mans-switch';
import type { ExchangeId, MarketSnapshot, OpenOrder, OrderIntent } from '../domain/market';
import { valuePortfolio } from '../domain/portfolio';
import { feeInQuote, type Fill } from '../domain/fill-ledger';
import type { SessionBooks } from '../contracts/session';
import { GatewayError } from '../adapters/exchange/errors';
import { nextAttemptDelayMs, sendDeadline } from '../domain/order-timing';
import type { VenueKeyPermissions } from '../adapters/exchange/permissions';
import type { KeyPurpose, VersionStage } from '../adapters/secrets/types';
import type { ActivityDeps } from './deps';

export interface AccountRef {
  exchange: ExchangeId;
  account: string;
}

/**
 * Turns a gateway error into a Temporal failure whose type names the kind, so retry policies can act on it.
 * `retryDelayMs`, if given, picks when the next attempt runs (overriding the policy's backoff).
 */
function toFailure(err: unknown, retryDelayMs?: (e: GatewayError) => number): never {
  if (err instanceof GatewayError) {
    throw ApplicationFailure.create({
      type: err.name,
      message: err.message,
      // Auth and rejected requests will not get better by retrying; the workflow decides what to do.
      nonRetryable: err.kind === 'auth' || err.kind === 'rejected',
      details: [{ kind: err.kind, ccxtClass: err.ccxtClass }],
      ...(retryDelayMs ? { nextRetryDelay: retryDelayMs(err) } : {}),
    });
  }
  throw err;
}

/** Heartbeats now and every second until stopped (the SDK throttles what it sends); only if the activity has a heartbeat timeout. */
function keepBeating(ctx: Context): () => void {
  if (!ctx.info.heartbeatTimeoutMs) return () => undefined;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 1_000);
  return () => clearInterval(timer);
}

export function createTradingActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const gw = (ref: AccountRef, purpose: KeyPurpose = 'trading', stage?: VersionStage) => deps.gateways.gateway(ref.exchange, ref.account, purpose, stage);

  return {
    /** Prices, balances, open orders and market rules: everything one tick decides on. */
    async snapshotAccount(input: AccountRef & { symbols: string[]; stage?: VersionStage }): Promise<MarketSnapshot> {
      try {
        const state = await (await gw(input, 'trading', input.stage)).accountState(input.symbols);
        deps.metrics.exchangeRequests.inc({ exchange: input.exchange }, 3);
        const snapshot: MarketSnapshot = { exchange: input.exchange, account: input.account, at: now().toISOString(), ...state, worker: deps.workerIdentity };
        deps.metrics.portfolioValue.set({ exchange: input.exchange, account: input.account }, valuePortfolio(snapshot).total);
        return snapshot;
      } catch (err) {
        deps.metrics.exchangeErrors.inc({ exchange: input.exchange, kind: err instanceof GatewayError ? err.kind : 'other' });
        return toFailure(err);
      }
    },

    /** The venue's clock against the worker's; the gateway stamps signed requests on the venue's from now on. */
    async checkVenueClock(input: AccountRef): Promise<{ skewMs: number; rttMs: number; adjusted: boolean }> {
      try {
        const clock = await (await gw(input)).venueClock();
        deps.metrics.venueClockSkew.set({ exchange: input.exchange, account: input.account }, clock.skewMs);
        return clock;
      } catch (err) {
        return toFailure(err);
      }
    },

    /** The account's fills from `sinceMs` (inclusive): the workflow's ledger decides which are new. */
    async fetchFills(input: AccountRef & { symbols: string[]; sinceMs: number }): Promise<Fill[]> {
      try {
        const fills = await (await gw(input)).myTrades(input.symbols, input.sinceMs);
        deps.metrics.exchangeRequests.inc({ exchange: input.exchange }, input.symbols.length);
        return fills;
      } catch (err) {
        deps.metrics.exchangeErrors.inc({ exchange: input.exchange, kind: err instanceof GatewayError ? err.kind : 'other' });
        return toFailure(err);
      }
    },

    /**
     * Each new fill becomes a `trade` audit event under the venue's trade id (a retry writes none twice)
     * and is counted in the metrics with the books it leaves.
     */
    async recordFills(input: AccountRef & { session: string; fresh: Fill[]; firstFills: Fill[]; books: SessionBooks }): Promise<void> {
      const { exchange, account, session } = input;
      for (const f of input.fresh) {
        await deps.audit.record({
          id: `trade/${exchange}/${account}/${f.id}`,
          type: 'trade',
          actor: session,
          time: new Date(f.timeMs).toISOString(),
          data: {
            exchange,
            account,
            session,
            symbol: f.symbol,
            side: f.side,
            price: f.price,
            amount: f.amount,
            fee: f.fee.cost,
            feeCurrency: f.fee.currency,
            tradeId: f.id,
            orderId: f.orderId,
            ...(f.clientOrderId ? { clientOrderId: f.clientOrderId } : {}),
            time: new Date(f.timeMs).toISOString(),
          },
        });
      }
      const labels = { exchange, account };
      for (const f of input.fresh) deps.metrics.fills.inc({ exchange, symbol: f.symbol });
      for (const f of input.firstFills) deps.metrics.ordersFilled.inc({ exchange, symbol: f.symbol });
      const fees = input.fresh.reduce((sum, f) => sum + feeInQuote(f), 0);
      if (fees > 0) deps.metrics.feesPaid.inc(labels, fees);
      deps.metrics.realizedPnl.set(labels, input.books.realizedPnl);
      deps.metrics.unrealizedPnl.set(labels, input.books.unrealizedPnl);
      if (input.books.fillRate !== undefined) deps.metrics.fillRate.set(labels, input.books.fillRate);
    },

    /**
     * Places one order under its deterministic client order id. Any retry looks
     * the id up first, and places only if the venue never saw it. That lookup is
     * final because a retry never runs while an earlier attempt's request can still
     * land (domain/order-timing.ts): this attempt sends only while Temporal cannot
     * have given up on it, and a failure that may leave a request behind asks
     * Temporal to wait out that request's window before the next attempt.
     */
    async placeOrder(input: AccountRef & { session: string; intent: OrderIntent; clientOrderId: string }): Promise<{ order: OpenOrder; existed: boolean; worker: string }> {
      const ctx = Context.current();
      const { attempt, currentAttemptScheduledTimestampMs, startToCloseTimeoutMs, heartbeatTimeoutMs } = ctx.info;
      const deadline = sendDeadline({ attempt, scheduledAtMs: currentAttemptScheduledTimestampMs, startToCloseMs: startToCloseTimeoutMs, heartbeatTimeoutMs });
      const maySend = () => Date.now() <= deadline && !ctx.cancellationSignal.aborted;
      const stopBeating = keepBeating(ctx);
      const started = performance.now();
      try {
        const placed = await (await gw(input)).placeOrder(input.intent, input.clientOrderId, { lookupFirst: attempt > 1, maySend });
        deps.metrics.orderLatency.observe({ exchange: input.exchange }, (performance.now() - started) / 1000);
        deps.metrics.exchangeRequests.inc({ exchange: input.exchange });
        if (!placed.existed) deps.metrics.ordersPlaced.inc({ exchange: input.exchange, symbol: input.intent.symbol });
        await deps.audit.record({
          id: `order_placed/${input.exchange}/${input.account}/${input.clientOrderId}`,
          type: 'order_placed',
          actor: input.session,
          data: {
            exchange: input.exchange,
            account: input.account,
            symbol: input.intent.symbol,
            side: input.intent.side,
            type: input.intent.type,
            amount: input.intent.amount,
            price: input.intent.price,
            orderId: placed.order.id,
            clientOrderId: input.clientOrderId,
            session: input.session,
          },
        });
        return { ...placed, worker: deps.workerIdentity };
      } catch (err) {
        deps.metrics.exchangeErrors.inc({ exchange: input.exchange, kind: err instanceof GatewayError ? err.kind : 'other' });
        // Anything but a GatewayError keeps the policy's interval, which outlasts every window.
        return toFailure(err, (e) => nextAttemptDelayMs(input.exchange, attempt, e.kind === 'unknown_outcome'));
      } finally {
        stopBeating();
      }
    },

    /** The kill switch's hands: cancels every open order on these symbols and records each one. */
    async cancelAllOrders(input: AccountRef & { symbols: string[]; reason: string; by: string }): Promise<{ cancelled: OpenOrder[]; worker: string }> {
      try {
        const cancelled = await (await gw(input)).cancelAll(input.symbols);
        for (const o of cancelled) {
          await deps.audit.record({
            id: `order_cancelled/${input.exchange}/${input.account}/${o.id}`,
            type: 'order_cancelled',
            actor: input.by,
            data: { exchange: input.exchange, account: input.account, symbol: o.symbol, orderId: o.id, clientOrderId: o.clientOrderId, reason: input.reason },
          });
        }
        return { cancelled, worker: deps.workerIdentity };
      } catch (err) {
        return toFailure(err);
      }
    },

    /** Re-arms the venue's dead man's switch (cancel-after countdown); armed: false where the venue has none. */
    async armDeadMansSwitch(input: AccountRef & { seconds: number }): Promise<DeadMansSwitchArm> {
      try {
        const result = await (await gw(input)).armDeadMansSwitch(input.seconds);
        if (result.armed) deps.metrics.exchangeRequests.inc({ exchange: input.exchange });
        return result;
      } catch (err) {
        deps.metrics.exchangeErrors.inc({ exchange: input.exchange, kind: err instanceof GatewayError ? err.kind : 'other' });
        return toFailure(err);
      }
    },

    /** What the venue says this key may do (for the key auditor). */
    async fetchKeyPermissions(input: AccountRef & { purpose: KeyPurpose; stage?: VersionStage }): Promise<VenueKeyPermissions> {
      try {
        return await (await gw(input, input.purpose, input.stage)).fetchKeyPermissions();
      } catch (err) {
        return toFailure(err);
      }
    },
  };
}
