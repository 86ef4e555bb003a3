import { RiskConfig } from '../../config/schema';
import { startSession } from '../../workers/sessions';
import { statusQuery, stopUpdate } from '../../contracts/session';
import { benchEnv, round, stats } from './env';
import type { Benchmark } from './types';

const STEPS = [5, 10, 20, 30, 40];
const MEASURE_MS = 15_000;

/** How many 1 s-tick sessions one worker carries with p99 tick lag under 1 s. */
export const sessionCapacity: Benchmark = {
  name: 'sessions_per_worker',
  description: `one in-process worker, sessions at a 1 s tick, p99 tick lag measured for ${MEASURE_MS / 1000} s at ${STEPS.join(', ')} sessions`,
  async run() {
    const env = await benchEnv('capacity');
    const figures: Record<string, { value: number; unit: string }> = {};
    try {
      const max = STEPS[STEPS.length - 1]!;
      const accounts = Array.from({ length: max }, (_, i) => `c${i}`);
      for (const a of accounts) {
        env.harness.addKey('binance', a);
        env.harness.sim.setBalance('binance', a, 'USDT', 20_000);
        env.harness.sim.setBalance('binance', a, 'BTC', 0.1);
      }
      await env.startWorker(accounts);
      let running = 0;
      let sustained = 0;
      for (const n of STEPS) {
        for (; running < n; running++) {
          await startSession(env.client, env.taskQueue, {
            exchange: 'binance',
            account: accounts[running]!,
            symbols: ['BTC/USDT'],
            strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.3 }, band: 0.05, orderType: 'market', maxOrderNotional: 100 },
            risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
            tickSeconds: 1,
          });
        }
        await new Promise((r) => setTimeout(r, MEASURE_MS));
        const lags = (await Promise.all(accounts.slice(0, n).map((a) => env.client.workflow.getHandle(`session/binance/${a}`).query(statusQuery)))).flatMap((s) => (s.recentTickLagMs ?? []).slice(-10));
        const p99 = stats(lags).p99;
        figures[`p99_tick_lag_at_${n}`] = { value: round(p99, 0), unit: 'ms' };
        if (p99 < 1000) sustained = n;
        else break;
      }
      figures.sessions_sustained = { value: sustained, unit: 'sessions' };
      await Promise.all(accounts.slice(0, running).map((a) => env.client.workflow.getHandle(`session/binance/${a}`).executeUpdate(stopUpdate, { args: [{ by: 'bench', reason: 'done' }] })));
      return figures;
    } finally {
      await env.close();
    }
  },
};
