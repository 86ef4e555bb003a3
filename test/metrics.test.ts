import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../adapters/logger';
import { createMetrics, startMetricsServer, type MetricsServer } from '../adapters/metrics';
import { installRuntime } from '../workers/runtime';
import { stopDeskUpdate } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

describe('worker /metrics', () => {
  let server: MetricsServer | undefined;
  let t: TemporalHarness | undefined;
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it("serves the seed's metric names and the Temporal SDK's own metrics on one endpoint", async () => {
    // Runtime.install must come before any worker connection in this process (vitest forks one per file).
    const { temporalMetricsUrl } = await installRuntime(createLogger({ level: 'silent' }));
    const metrics = createMetrics();
    server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0, temporalMetricsUrl });
    t = await temporalHarness();
    await t.startWorker({ metrics });
    const handle = await t.client.workflow.start(deskWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `desk/metrics-${t.taskQueue}`,
      args: [{ desk: 'metrics', profile: 'paper', heartbeatSeconds: 3600 }],
    });
    await handle.executeUpdate(stopDeskUpdate, { args: [{ by: 'op', reason: 'done' }] });
    await handle.result();
    metrics.ordersPlaced.inc({ exchange: 'binance', symbol: 'BTC/USDT' });

    const body = await fetch(server.url).then((r) => r.text());
    for (const name of [
      'trading_orders_placed_total',
      'trading_order_latency_seconds',
      'trading_portfolio_value_usd',
      'trading_daily_pnl_percent',
      'trading_margin_health_percent',
    ]) {
      expect(body).toContain(`# TYPE ${name}`);
    }
    expect(body).toContain('trading_orders_placed_total{exchange="binance",symbol="BTC/USDT"} 1');
    expect(body).toMatch(/temporal_workflow_completed\{[^}]*workflow_type="deskWorkflow"/);
  });
});
