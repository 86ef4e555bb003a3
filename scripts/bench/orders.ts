import { fileURLToPath } from 'node:url';
import type { OrderIntent } from '../../domain/market';
import type { Benchmark } from './types';
import { benchEnv, round, stats } from './env';
import { doneUpdate, orderDeskWorkflow, placeUpdate } from './workflows';

const N = 200;

/** One order round trip straight through ccxt, and the same through a Temporal activity, side by side. */
export const orderRoundTrip: Benchmark = {
  name: 'order_round_trip',
  description: `${N} limit orders on binance (simulator): ccxt directly vs an Update running the order activity on the dev server`,
  async run() {
    const env = await benchEnv('orders');
    try {
      env.harness.fundAccount('bench', { USDT: 10_000_000 });
      const gw = await env.harness.gateways('bench').gateway('binance', 'bench', 'trading');
      const price = Math.round(env.harness.sim.price('BTC/USDT') / 2);
      const intent = (i: number): OrderIntent => ({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.001, price: price - (i % 100), reason: 'bench' });
      await gw.placeOrder(intent(0), 'wdwarmup0', { lookupFirst: false });
      const direct: number[] = [];
      for (let i = 0; i < N; i++) {
        const t0 = performance.now();
        await gw.placeOrder(intent(i), `wddirect${i}`, { lookupFirst: false });
        direct.push(performance.now() - t0);
      }
      await env.startWorker(['bench'], { workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)) });
      const handle = await env.client.workflow.start(orderDeskWorkflow, { taskQueue: env.taskQueue, workflowId: 'bench-orders', args: [{ exchange: 'binance', account: 'bench' }] });
      await handle.executeUpdate(placeUpdate, { args: [{ intent: intent(0), clientOrderId: 'wdwarmup1' }] });
      const viaTemporal: number[] = [];
      for (let i = 0; i < N; i++) {
        const t0 = performance.now();
        await handle.executeUpdate(placeUpdate, { args: [{ intent: intent(i), clientOrderId: `wdtemporal${i}` }] });
        viaTemporal.push(performance.now() - t0);
      }
      await handle.executeUpdate(doneUpdate);
      const d = stats(direct);
      const t = stats(viaTemporal);
      return {
        ccxt_p50: { value: round(d.p50), unit: 'ms' },
        ccxt_p99: { value: round(d.p99), unit: 'ms' },
        temporal_p50: { value: round(t.p50), unit: 'ms' },
        temporal_p99: { value: round(t.p99), unit: 'ms' },
        overhead_ratio_p50: { value: round(t.p50 / d.p50), unit: 'x' },
      };
    } finally {
      await env.close();
    }
  },
};
