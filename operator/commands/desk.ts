import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { printableConfig } from '../../config/policy';
import { sanitize } from '../../adapters/redact';
import { deskStatusQuery, deskWorkflowId } from '../../contracts/desk';
import { connectClient } from '../../clients/connect';

/** Process-level commands: run the desk, run a worker, check config, show the desk's status. */
export function registerDeskCommands(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description(summary('dev'))
    .option('--ui-port <port>', 'Temporal Web UI port', (v) => parsePort(v, '--ui-port'), 8233)
    .action(async (opts: { uiPort: number }) => {
      // Loaded here: only the process commands pay for the worker's native module.
      const { runDev } = await import('../../workers/dev');
      await runDev(ctx.config(), { uiPort: opts.uiPort });
    });

  program
    .command('worker')
    .description(summary('worker'))
    .action(async () => {
      const [{ startDeskWorker }, { untilSignal }] = await Promise.all([import('../../workers/desk-process'), import('../../workers/until-signal')]);
      const desk = await startDeskWorker(ctx.config());
      ctx.out(`worker polling ${ctx.config().config.temporal.taskQueue}; metrics at ${desk.metrics.url}`);
      await untilSignal();
      await desk.close();
    });

  program
    .command('config')
    .description(summary('config'))
    .command('check')
    .action(() => {
      const loaded = ctx.config();
      ctx.out(`${loaded.path}: valid (${loaded.config.profile} profile)`);
      // Never a secret on the terminal (issue 13): userinfo and secret-named fields are masked.
      ctx.out(sanitize(JSON.stringify(printableConfig(loaded.config), null, 2)));
    });

  program
    .command('status')
    .description(summary('status'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { config } = ctx.config();
      const client = await connectClient(config.temporal);
      try {
        const status = await client.workflow.getHandle(deskWorkflowId(config.desk.name)).query(deskStatusQuery);
        ctx.out(opts.json ? JSON.stringify(status) : `desk ${status.desk} (${status.profile}): ${status.beats} heartbeats, last from ${status.lastWorker ?? '-'} at ${status.lastBeatAt ?? '-'}`);
      } finally {
        await client.connection.close();
      }
    });
}

export function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`${flag}: must be a port number 1-65535 (got "${value}")`);
  return n;
}
