import type { Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { composeDesk } from '../../workers/composition';
import { untilSignal } from '../../workers/until-signal';
import { createOperatorBot } from '../telegram/bot';
import { createDirectCanceller } from '../direct-cancel';

/** `warden bot`: the Telegram operator bot, long polling; the token comes from the secrets store. */
export function registerBotCommands(program: Command, ctx: CliContext): void {
  program
    .command('bot')
    .description(summary('bot'))
    .action(async () => {
      const loaded = ctx.config();
      const { config } = loaded;
      if (!config.telegram) throw new Error('telegram: the config has no telegram section (chatId, operatorIds)');
      const parts = composeDesk(loaded, 'bot');
      const [logger, audit, secrets, desk, alerts, metrics] = await Promise.all([parts.logger(), parts.audit(), parts.secrets(), parts.desk(), parts.alerts(), parts.metrics()]);
      const bot = createOperatorBot({
        token: await secrets.getTelegramToken(),
        apiRoot: config.telegram.apiRoot,
        telegram: config.telegram,
        desk,
        stopFallback: {
          configuredSessions: config.exchanges.filter((x) => x.strategy).map((x) => `${x.exchange}/${x.account}`),
          // Built only when a /stop is not confirmed in time.
          direct: async () => createDirectCanceller({ config, audit, gateways: await parts.gateways() }),
        },
        audit,
        alerts,
        metrics,
        logger,
      });
      const running = bot.start();
      ctx.out(`operator bot polling for chat ${config.telegram.chatId} (${config.telegram.operatorIds.length} operator(s))`);
      await Promise.race([untilSignal(), running]);
      await bot.stop();
      await running.catch(() => undefined);
      await parts.close();
    });
}
