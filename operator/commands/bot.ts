import type { Command } from 'commander';
import { venueAccounts } from '../../config/policy';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { createAwsClients } from '../../adapters/aws';
import { openAuditTrail } from '../../adapters/audit';
import { createLogger } from '../../adapters/logger';
import { createMetrics } from '../../adapters/metrics';
import { createSecretsStore } from '../../adapters/secrets';
import { createAlertRouter } from '../../workers/alert-channels';
import type { AlertRouter } from '../../adapters/alerts/router';
import { shippingAlert } from '../../workers/audit-alerts';
import { untilSignal } from '../../workers/until-signal';
import { connectClient } from '../../clients/connect';
import { createOperatorBot } from '../telegram/bot';
import { TemporalDeskControl } from '../../clients/temporal-desk-control';
import { CcxtGatewayProvider } from '../../adapters/exchange/provider';
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
      const logger = createLogger({ name: 'warden-bot' });
      const aws = createAwsClients(config.aws);
      // The bot keeps its own spool beside the worker's: two writers never share a hash chain.
      let alerts: AlertRouter | undefined;
      const audit = await openAuditTrail(config, {
        stateDir: `${loaded.stateDir}/bot`,
        s3: aws.s3,
        kms: aws.kms,
        logger,
        writer: 'bot',
        // The bot's chain is alerted like a worker's: an outage or a conflicting key is never only a log line.
        onShippingTrouble: (t) => {
          const alert = shippingAlert(t);
          if (alert) void alerts?.route(alert, 'operator-bot').catch((err: unknown) => logger.error({ err }, 'audit shipping alert not delivered'));
        },
      });
      const secrets = createSecretsStore(config, { stateDir: loaded.stateDir, secretsClient: aws.secrets, audit, accessedBy: 'operator-bot' });
      const client = await connectClient(config.temporal);
      const desk = new TemporalDeskControl(client, config);
      alerts = await createAlertRouter(config, { secrets, logger, audit, onIncident: (a) => desk.incident.openFromAlert(a) });
      const bot = createOperatorBot({
        token: await secrets.getTelegramToken(),
        apiRoot: config.telegram.apiRoot,
        telegram: config.telegram,
        desk,
        stopFallback: {
          configuredSessions: config.exchanges.filter((x) => x.strategy).map((x) => `${x.exchange}/${x.account}`),
          direct: () => Promise.resolve(createDirectCanceller({ config, audit, gateways: new CcxtGatewayProvider({ secrets, accounts: venueAccounts(config), enableRateLimit: config.profile === 'production' }) })),
        },
        audit,
        alerts,
        metrics: createMetrics(),
        logger,
      });
      const running = bot.start();
      ctx.out(`operator bot polling for chat ${config.telegram.chatId} (${config.telegram.operatorIds.length} operator(s))`);
      await Promise.race([untilSignal(), running]);
      await bot.stop();
      await running.catch(() => undefined);
      await audit.close();
      await client.connection.close();
    });
}
