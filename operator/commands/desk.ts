import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { deskStatusQuery } from '../../workflows/desk';
import { runDev } from '../../workers/dev';
import { startDeskWorker, untilSignal } from '../../workers/desk-process';
import { connectClient } from '../../workers/temporal-connection';

/** Process-level commands: run the desk, run a worker, check config, show the desk's status. */
export function registerDeskCommands(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('run the paper desk locally: Temporal dev server with Web UI, worker, desk workflow (what `npm start` runs)')
    .option('--ui-port <port>', 'Temporal Web UI port', (v) => parsePort(v, '--ui-port'), 8233)
    .action(async (opts: { uiPort: number }) => runDev(ctx.config(), { uiPort: opts.uiPort }));

  program
    .command('worker')
    .description('run a desk worker against the configured Temporal (run two for failover)')
    .action(async () => {
      const desk = await startDeskWorker(ctx.config());
      ctx.out(`worker polling ${ctx.config().config.temporal.taskQueue}; metrics at ${desk.metrics.url}`);
      await untilSignal();
      await desk.close();
    });

  program
    .command('config')
    .description('validate the config file and print it with defaults applied')
    .command('check')
    .action(() => {
      const loaded = ctx.config();
      ctx.out(`${loaded.path}: valid (${loaded.config.profile} profile)`);
      ctx.out(JSON.stringify(loaded.config, null, 2));
    });

  program
    .command('status')
    .description("show the desk workflow's status")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { config } = ctx.config();
      const client = await connectClient(config.temporal);
      try {
        const status = await client.workflow.getHandle(`desk/${config.desk.name}`).query(deskStatusQuery);
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
