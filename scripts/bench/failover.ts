import { RiskConfig } from '../../config/schema';
import { startSession } from '../../workers/sessions';
import { statusQuery, stopUpdate } from '../../contracts/session';
import { startWorkerProcess, writeWorkerConfig, type WorkerProcess } from '../../test/helpers/worker-process';
import { benchEnv, round, stats } from './env';
import type { Benchmark } from './types';

const TRIALS = 5;

/** SIGKILL the worker running a session; time until the standby completes the next order. */
export const failover: Benchmark = {
  name: 'failover',
  description: `two warden worker processes; kill the one running the session (${TRIALS} times); time to the next completed order on the standby`,
  async run() {
    const env = await benchEnv('failover');
    const workers: WorkerProcess[] = [];
    try {
      const h = env.harness;
      h.addKey('binance', 'fo');
      const base = h.sim.price('BTC/USDT');
      h.sim.setBalance('binance', 'fo', 'USDT', 10_000);
      h.sim.setBalance('binance', 'fo', 'BTC', Math.round((10_000 / base) * 1e5) / 1e5);
      const config = writeWorkerConfig({ temporalAddress: env.temporal.address, taskQueue: env.taskQueue, simUrl: h.sim.url, accounts: [{ exchange: 'binance', account: 'fo' }] });
      workers.push(await startWorkerProcess(config, h.stateDir), await startWorkerProcess(config, h.stateDir));
      const handle = await startSession(env.client, env.taskQueue, {
        exchange: 'binance',
        account: 'fo',
        symbols: ['BTC/USDT'],
        strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.5 }, band: 0.005, orderType: 'market', maxOrderNotional: 150 },
        risk: RiskConfig.parse({ maxConcentrationPct: 100, maxOrdersPerMinute: 1200, dailyLossLimitPct: 50, maxDrawdownPct: 50 }),
        tickSeconds: 1,
      });
      const status = () => handle.query(statusQuery);
      const waitUntil = async (ok: (s: Awaited<ReturnType<typeof status>>) => boolean) => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const s = await status();
          if (ok(s)) return s;
          if (Date.now() > deadline) throw new Error('failover bench: no progress within 60 s');
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await waitUntil((s) => !!s.worker);
      const samples: number[] = [];
      for (let i = 0; i < TRIALS; i++) {
        const before = await waitUntil((s) => !!s.worker);
        const victim = workers.find((w) => w.identity === before.worker && w.child.exitCode === null && w.child.signalCode === null);
        if (!victim) throw new Error(`no live process for ${before.worker}`);
        const t0 = performance.now();
        victim.child.kill('SIGKILL');
        // Move the price so the next tick must trade, wherever it runs.
        h.sim.setPrice('BTC/USDT', base * (i % 2 ? 1.02 : 0.98));
        await waitUntil((s) => s.orderSeq > before.orderSeq && s.worker !== before.worker);
        samples.push(performance.now() - t0);
        workers.push(await startWorkerProcess(config, h.stateDir));
      }
      await handle.executeUpdate(stopUpdate, { args: [{ by: 'bench', reason: 'done' }] });
      const s = stats(samples);
      return {
        trials: { value: TRIALS, unit: 'kills' },
        failover_p50: { value: round(s.p50 / 1000, 2), unit: 's' },
        failover_max: { value: round(Math.max(...samples) / 1000, 2), unit: 's' },
      };
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await env.close();
    }
  },
};
