import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { sessionInputFor, startSession } from '../../workers/sessions';
import { connectClient } from '../../clients/connect';
import { sessionWorkflowId, statusQuery, type SessionStatus } from '../../contracts/session';
import type { DeskControl } from '../../clients/desk-control';
import type { ExchangeId } from '../../domain/market';
import { exchangeArg } from '../../domain/operator-input';
import { check, runCore } from './run-core';

const exchangeFlag = check(exchangeArg, '--exchange');

export function formatSession(s: SessionStatus): string {
  const breaker = s.breaker.status === 'open' ? `breaker OPEN (${s.breaker.trippedBy}: ${s.breaker.reason})` : 'breaker closed';
  return `${s.session}: ${s.mode}, ${breaker}, value ${s.pnl.value.toFixed(2)} USD, day ${s.pnl.dailyPnlPct.toFixed(2)}%, drawdown ${s.pnl.drawdownPct.toFixed(2)}%, ${s.openOrders.length} open order(s), ${s.orderSeq} placed, ${s.ticks} ticks${s.rebalancing ? `, waiting for ${s.rebalancing}` : ''}`;
}

/** `warden session start|status|stop`: one account's trading session. */
export function registerSessionCommands(program: Command, ctx: CliContext, desk: () => Promise<DeskControl>): void {
  const session = program.command('session').description(summary('session'));
  const pick = (cmd: Command) =>
    cmd.option('--exchange <id>', 'binance, okx or bybit', exchangeFlag).option('--account <name>', 'account name from the config');

  pick(session.command('start').description('start (or attach to) the sessions of the configured accounts that have a strategy')).action(
    async (opts: { exchange?: ExchangeId; account?: string }) => {
      const { config } = ctx.config();
      const accounts = config.exchanges.filter((x) => (!opts.exchange || x.exchange === opts.exchange) && (!opts.account || x.account === opts.account));
      if (!accounts.length) throw new InvalidArgumentError('--exchange/--account: no configured account matches');
      const client = await connectClient(config.temporal);
      try {
        for (const account of accounts) {
          const input = sessionInputFor(config, account);
          if (!input) {
            ctx.out(`${account.exchange}/${account.account}: no strategy configured, not started`);
            continue;
          }
          const handle = await startSession(client, config.temporal.taskQueue, input);
          ctx.out(`${handle.workflowId}: running (run ${handle.firstExecutionRunId})`);
        }
      } finally {
        await client.connection.close();
      }
    },
  );

  pick(session.command('status').description("a session's status (all configured sessions by default)"))
    .option('--json', 'print JSON')
    .action(async (opts: { exchange?: ExchangeId; account?: string; json?: boolean }) => {
      const { config } = ctx.config();
      const ids = config.exchanges
        .filter((x) => (!opts.exchange || x.exchange === opts.exchange) && (!opts.account || x.account === opts.account))
        .map((x) => sessionWorkflowId(x.exchange, x.account));
      const client = await connectClient(config.temporal);
      try {
        const statuses = await Promise.all(ids.map((id) => client.workflow.getHandle(id).query(statusQuery).catch(() => undefined)));
        for (const [i, s] of statuses.entries()) ctx.out(s ? (opts.json ? JSON.stringify(s) : formatSession(s)) : `${ids[i]}: not running`);
      } finally {
        await client.connection.close();
      }
    });

  session
    .command('stop')
    .description("kill switch for one session: stop trading and cancel all its open orders (warden stop's path, for one account)")
    .requiredOption('--exchange <id>', 'binance, okx or bybit')
    .requiredOption('--account <name>', 'account name')
    // As `warden stop`: the kill switch never refuses because of its reason; it is cleaned and clipped instead.
    .option('--reason <text>', 'why (recorded in the audit trail)')
    // The same core command as `warden stop` and /stop, for the one account (operator/core/commands.ts).
    .action((opts: { exchange: string; account: string; reason?: string }, cmd: Command) =>
      runCore(ctx, cmd, { desk }, 'session stop', opts, { flags: { exchange: '--exchange', account: '--account', reason: '--reason' } }),
    );
}
