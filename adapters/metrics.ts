import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The seed's metric names (section 5), registered from the start so dashboards and rules never dangle. */
export interface DeskMetrics {
  registry: Registry;
  ordersPlaced: Counter<'exchange' | 'symbol'>;
  orderLatency: Histogram<'exchange'>;
  portfolioValue: Gauge<'exchange' | 'account'>;
  dailyPnlPct: Gauge<'exchange' | 'account'>;
  drawdownPct: Gauge<'exchange' | 'account'>;
  breakerOpen: Gauge<'exchange' | 'account'>;
  failovers: Counter<'exchange' | 'account'>;
  unauthorizedAttempts: Counter<'channel'>;
  marginHealth: Gauge<'exchange' | 'account'>;
  exchangeErrors: Counter<'exchange' | 'kind'>;
  exchangeRequests: Counter<'exchange'>;
  ordersFilled: Counter<'exchange' | 'symbol'>;
  fills: Counter<'exchange' | 'symbol'>;
  feesPaid: Counter<'exchange' | 'account'>;
  fillRate: Gauge<'exchange' | 'account'>;
  realizedPnl: Gauge<'exchange' | 'account'>;
  unrealizedPnl: Gauge<'exchange' | 'account'>;
  venueClockSkew: Gauge<'exchange' | 'account'>;
  alertDeliveries: Counter<'channel' | 'outcome'>;
  auditUnshipped: Gauge;
  auditOldestUnshippedSeconds: Gauge;
  auditShipFailures: Gauge;
  auditKeyConflicts: Gauge;
  /** Points the audit gauges at a trail; they read it at each scrape. */
  watchAudit(source: () => AuditShippingView): void;
}

/** The part of the audit trail's shipping status the gauges show (structural: metrics do not depend on the trail). */
export interface AuditShippingView {
  unshipped: number;
  oldestUnshippedSeconds: number;
  consecutiveFailures: number;
  keyConflicts: number;
}

export function createMetrics(): DeskMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let audit: (() => AuditShippingView) | undefined;
  const auditGauge = (name: string, help: string, pick: (v: AuditShippingView) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(audit ? pick(audit()) : 0);
      },
    });
  return {
    registry,
    ordersPlaced: new Counter({ name: 'trading_orders_placed_total', help: 'Total orders placed', labelNames: ['exchange', 'symbol'], registers }),
    orderLatency: new Histogram({
      name: 'trading_order_latency_seconds',
      help: 'Order execution latency',
      labelNames: ['exchange'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    }),
    portfolioValue: new Gauge({ name: 'trading_portfolio_value_usd', help: 'Current portfolio value', labelNames: ['exchange', 'account'], registers }),
    dailyPnlPct: new Gauge({ name: 'trading_daily_pnl_percent', help: 'Daily P&L percentage', labelNames: ['exchange', 'account'], registers }),
    drawdownPct: new Gauge({ name: 'trading_drawdown_percent', help: 'Drawdown from the peak portfolio value, percent', labelNames: ['exchange', 'account'], registers }),
    breakerOpen: new Gauge({ name: 'trading_circuit_breaker_open', help: 'Circuit breaker state (1 open, 0 closed)', labelNames: ['exchange', 'account'], registers }),
    failovers: new Counter({ name: 'trading_failovers_total', help: 'Worker failovers seen by sessions', labelNames: ['exchange', 'account'], registers }),
    unauthorizedAttempts: new Counter({ name: 'warden_unauthorized_operator_attempts_total', help: 'Operator commands refused as unauthorized', labelNames: ['channel'], registers }),
    marginHealth: new Gauge({ name: 'trading_margin_health_percent', help: 'Margin health percentage', labelNames: ['exchange', 'account'], registers }),
    exchangeErrors: new Counter({ name: 'trading_exchange_errors_total', help: 'Exchange API errors by mapped kind', labelNames: ['exchange', 'kind'], registers }),
    exchangeRequests: new Counter({ name: 'trading_exchange_requests_total', help: 'Exchange API requests', labelNames: ['exchange'], registers }),
    // Counted at an order's first fill, from the venue's trade history (the fill-rate alert divides it by orders placed).
    ordersFilled: new Counter({ name: 'trading_orders_filled_total', help: 'Orders with at least one fill', labelNames: ['exchange', 'symbol'], registers }),
    fills: new Counter({ name: 'trading_fills_total', help: 'Fills counted in the books, each once', labelNames: ['exchange', 'symbol'], registers }),
    feesPaid: new Counter({ name: 'trading_fees_paid_total', help: 'Trading fees paid, valued in the quote currency', labelNames: ['exchange', 'account'], registers }),
    fillRate: new Gauge({ name: 'trading_fill_rate', help: "Share of the session's orders with at least one fill", labelNames: ['exchange', 'account'], registers }),
    realizedPnl: new Gauge({ name: 'trading_realized_pnl_usd', help: 'Realized P&L of the session (average cost, net of fees)', labelNames: ['exchange', 'account'], registers }),
    venueClockSkew: new Gauge({ name: 'trading_venue_clock_skew_ms', help: "The venue's clock less the worker's, ms, as last measured", labelNames: ['exchange', 'account'], registers }),
    unrealizedPnl: new Gauge({ name: 'trading_unrealized_pnl_usd', help: "Mark-to-market of the session's own positions against their cost", labelNames: ['exchange', 'account'], registers }),
    auditUnshipped: auditGauge('warden_audit_unshipped_events', 'Audit events spooled but not yet in the WORM bucket', (v) => v.unshipped),
    auditOldestUnshippedSeconds: auditGauge('warden_audit_oldest_unshipped_seconds', 'Age of the oldest audit event not yet shipped', (v) => v.oldestUnshippedSeconds),
    auditShipFailures: auditGauge('warden_audit_ship_consecutive_failures', 'Consecutive failed audit shipping attempts', (v) => v.consecutiveFailures),
    auditKeyConflicts: auditGauge('warden_audit_key_conflicts', 'Shipping attempts that found other content at an audit key (alarm)', (v) => v.keyConflicts),
    watchAudit(source) {
      audit = source;
    },
    alertDeliveries: new Counter({ name: 'warden_alert_deliveries_total', help: 'Alert deliveries per channel (alerts, incident phases, tests) by outcome', labelNames: ['channel', 'outcome'], registers }),
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves /metrics: the desk's registry followed by the Temporal SDK's own metrics,
 * fetched from the core runtime's exporter so Prometheus needs one target per worker.
 */
export async function startMetricsServer(
  metrics: DeskMetrics,
  opts: { host: string; port: number; temporalMetricsUrl?: string },
): Promise<MetricsServer> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/metrics') {
      res.writeHead(req.url === '/healthz' ? 200 : 404).end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
      return;
    }
    try {
      let body = await metrics.registry.metrics();
      if (opts.temporalMetricsUrl) {
        const core = await fetch(opts.temporalMetricsUrl).then((r) => r.text()).catch(() => '');
        body += `\n${core}`;
      }
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  };
  // http ignores a listener's promise: a throw in the 500 path (headers already
  // sent) would be an unhandled rejection, which ends the worker process.
  const server: Server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
