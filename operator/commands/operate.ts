import type { Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import type { DeskControl } from '../../clients/desk-control';
import type { CoreCommandName } from '../core/commands';
import { runCore, type Flags } from './run-core';

const FLAGS: Flags = { id: '<id>', amountUsd: '--amount', reference: '--reference', reason: '--reason', severity: '--severity', summary: '--summary' };

/**
 * The bot's commands on the command line: the same core (operator/core/), so the same rules, the same
 * text and the same audit event. `desk` is called only when a command runs, so `--help` needs no
 * Temporal; if what it returns has `close()`, that is called afterwards.
 */
export function registerOperateCommands(program: Command, ctx: CliContext, desk: () => Promise<DeskControl>): void {
  const run = (cmd: Command, name: CoreCommandName, raw: Record<string, unknown>, json?: boolean) => runCore(ctx, cmd, { desk }, name, raw, { flags: FLAGS, json });
  const read = (name: 'sessions' | 'balance' | 'pnl' | 'rebalances' | 'incidents') =>
    program
      .command(name)
      .description(summary(name))
      .option('--json', 'print JSON')
      .action((opts: { json?: boolean }, cmd: Command) => run(cmd, name, {}, opts.json));

  program
    .command('stop')
    .description(summary('stop'))
    // The kill switch never refuses because of its reason: it is cleaned and clipped instead.
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action((opts: { reason?: string }, cmd: Command) => run(cmd, 'stop', opts));

  for (const name of ['pause', 'resume'] as const) {
    program
      .command(name)
      .description(summary(name))
      .option('--reason <text>', `why (recorded in the audit trail; default "${name}d via CLI")`)
      .action((opts: { reason?: string }, cmd: Command) => run(cmd, name, opts));
  }

  read('sessions');
  read('balance');
  read('pnl');
  read('rebalances');

  program
    .command('approve')
    .description(summary('approve'))
    .argument('<id>', 'rebalance id')
    .requiredOption('--amount <usd>', 'amount transferred, in USD')
    .requiredOption('--reference <ref>', 'your transfer reference (exchange or tx id)')
    .action((id: string, opts: { amount: string; reference: string }, cmd: Command) => run(cmd, 'approve', { id, amountUsd: opts.amount, reference: opts.reference }));

  program
    .command('reject')
    .description(summary('reject'))
    .argument('<id>', 'rebalance id')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)')
    .action((id: string, opts: { reason: string }, cmd: Command) => run(cmd, 'reject', { id, reason: opts.reason }));

  read('incidents');

  const incident = program.command('incident').description(summary('incident'));
  incident
    .command('declare')
    .description('declare an incident')
    .requiredOption('--severity <SEV-n>', 'SEV-1 (fund loss, breach) to SEV-4 (minor)')
    .requiredOption('--summary <text>', 'what is happening')
    .action((opts: { severity: string; summary: string }, cmd: Command) => run(cmd, 'incident declare', opts));
  incident
    .command('ack')
    .description('acknowledge an incident')
    .argument('<id>', 'incident id')
    .action((id: string, _opts: unknown, cmd: Command) => run(cmd, 'incident ack', { id }));
}
