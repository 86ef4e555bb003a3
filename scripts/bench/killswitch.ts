import { RiskConfig } from '../../config/schema';
import type { ExchangeId } from '../../domain/market';
import { startSession } from '../../workers/sessions';
import { statusQuery } from '../../contracts/session';
import { benchEnv, round } from './env';
import type { Benchmark } from './types';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertRouter } from '../../adapters/alerts/router';
import { AuditTrail } from '../../adapters/audit/trail';
import { createLogger } from '../../adapters/logger';
import { createOperatorBot } from '../../operator/telegram/bot';
import { startFakeTelegram, textUpdate } from '../../test/helpers/fake-telegram';

const VENUES: ExchangeId[] = ['binance', 'okx', 'bybit'];
const ORDERS = 50;

/** Kill switch: `stop` to every session until the last of 3 x 50 open orders is cancelled, beside the same cancels issued directly with ccxt. */
export const killSwitch: Benchmark = {
  name: 'kill_switch',
  description: `stop every session: ${VENUES.length} venues x ${ORDERS} open orders cancelled, vs the same cancels straight through ccxt`,
  async run() {
    const env = await benchEnv('killswitch');
    try {
      const h = env.harness;
      h.fundAccount('ks', { USDT: 10_000_000 });
      const price = Math.round(h.sim.price('BTC/USDT') / 2);
      const provider = h.gateways('ks');
      const placeAll = async (tag: string) => {
        for (const v of VENUES) {
          const gw = await provider.gateway(v, 'ks', 'trading');
          await Promise.all(
            Array.from({ length: ORDERS }, (_, i) => gw.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.001, price: price - i, reason: 'bench' }, `wd${tag}${v.slice(0, 2)}${i}`, { lookupFirst: false })),
          );
        }
      };
      const openCount = () => VENUES.reduce((n, v) => n + h.sim.orders(v, 'ks').filter((o) => o.status === 'open').length, 0);

      // Floor: the same cancels, issued directly.
      await placeAll('floor');
      const f0 = performance.now();
      await Promise.all(VENUES.map(async (v) => (await provider.gateway(v, 'ks', 'trading')).cancelAll(['BTC/USDT'])));
      const floorMs = performance.now() - f0;
      if (openCount() !== 0) throw new Error('floor run left orders open');

      // Sessions that hold still (an hour between ticks), so only the kill switch acts.
      await env.startWorker(['ks']);
      for (const v of VENUES) {
        const handle = await startSession(env.client, env.taskQueue, {
          exchange: v,
          account: 'ks',
          symbols: ['BTC/USDT'],
          strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: 1, upper: 2, levels: 2, orderAmount: 0.001 },
          risk: RiskConfig.parse({}),
          tickSeconds: 3600,
        });
        await handle.query(statusQuery);
      }
      await placeAll('ks');
      if (openCount() !== VENUES.length * ORDERS) throw new Error(`expected ${VENUES.length * ORDERS} open orders, found ${openCount()}`);
      const desk = new (await import('../../clients/temporal-desk-control')).TemporalDeskControl(
        env.client,
        (await import('../../config/schema')).WardenConfig.parse({ profile: 'paper', temporal: { taskQueue: env.taskQueue }, exchanges: h.accounts('ks').map((a) => ({ ...a, strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: 1, upper: 2, levels: 2, orderAmount: 0.001 } })) }),
      );
      const k0 = performance.now();
      const { reports } = await desk.stopAll({ id: 'cli:bench', channel: 'cli' }, 'bench');
      const killMs = performance.now() - k0;
      const cancelled = reports.reduce((n, r) => n + r.cancelled.length, 0);
      if (openCount() !== 0 || cancelled !== VENUES.length * ORDERS) throw new Error(`kill switch left ${openCount()} open, reported ${cancelled}`);

      // The same through Telegram: /stop handled by the bot (fake Bot API on loopback) until every order is cancelled.
      await placeAll('tg');
      const tg = await startFakeTelegram();
      const logger = createLogger({ level: 'silent' });
      const audit = await AuditTrail.open({ dir: mkdtempSync(join(tmpdir(), 'bench-bot-')) });
      const bot = createOperatorBot({
        token: tg.token,
        apiRoot: tg.apiRoot,
        telegram: { chatId: 4242, operatorIds: [42] },
        desk,
        audit,
        alerts: new AlertRouter({ channels: [], audit, logger }),
        logger,
        botInfo: tg.botInfo,
      });
      const t0 = performance.now();
      await bot.bot.handleUpdate(textUpdate({ userId: 42, chatId: 4242 }, '/stop bench'));
      const telegramMs = performance.now() - t0;
      const leftTg = openCount();
      await tg.close();
      await audit.close();
      if (leftTg !== 0) throw new Error(`/stop left ${leftTg} orders open`);
      return {
        orders_cancelled: { value: cancelled, unit: 'orders' },
        kill_switch_latency: { value: round(killMs, 1), unit: 'ms' },
        direct_ccxt_floor: { value: round(floorMs, 1), unit: 'ms' },
        overhead: { value: round(killMs - floorMs, 1), unit: 'ms' },
        telegram_stop_to_all_cancelled: { value: round(telegramMs, 1), unit: 'ms' },
      };
    } finally {
      await env.close();
    }
  },
};
