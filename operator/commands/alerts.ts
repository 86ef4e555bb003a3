import type { Command } from 'commander';
import { userInfo } from 'node:os';
import type { CliContext } from '../cli';
import { summary } from '../command-index';

/**
 * `warden alerts test`: one INFO test alert on every configured channel (the
 * routes do not apply: the point is to prove each channel works), each outcome
 * printed and audited. Exits 1 if any channel failed, so preflight and CI can rely on it.
 */
export function registerAlertCommands(program: Command, ctx: CliContext): void {
  const alerts = program.command('alerts').description(summary('alerts'));
  alerts
    .command('test')
    .description('deliver a test alert on every configured channel and report each outcome; exits 1 if any failed')
    .action(async () => {
      const loaded = ctx.config();
      const { config } = loaded;
      const [{ createLogger }, { composeDesk }, { deliverTestAlert }] = await Promise.all([
        import('../../adapters/logger'),
        import('../../workers/composition'),
        import('../../workers/alert-channels'),
      ]);
      // stderr: stdout is the report. Info, so the log channel's copy of the test alert shows.
      const logger = createLogger({ name: 'warden-alerts-test', level: 'info', destination: process.stderr });
      const actor = `cli:${userInfo().username}`;
      // The CLI's own spool, as the bot has its own: two writers never share a hash chain.
      const parts = composeDesk(loaded, 'cli', { logger, identity: actor });
      const audit = await parts.trail();
      try {
        const secrets = await parts.secrets();
        const results = await deliverTestAlert(config, { secrets, logger, audit }, actor, 'warden alerts test');
        for (const r of results) ctx.out(`${r.ok ? 'ok    ' : 'FAILED'} ${r.channel}${r.error ? `: ${r.error}` : ''}`);
        const failed = results.filter((r) => !r.ok);
        ctx.out(failed.length ? `${failed.length} of ${results.length} channels failed` : `delivered on all ${results.length} channels`);
        if (failed.length) process.exitCode = 1;
      } finally {
        await audit.shipNow().catch((err: unknown) => logger.warn({ err }, 'audit events stay spooled until the next start'));
        await parts.close();
      }
    });
}
