import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { ZodType } from 'zod';
import { sanitize } from '../../adapters/redact';
import type { IncidentSeverity } from '../../domain/severity';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import type { DeskControl, Operator } from '../../clients/desk-control';
import { amountUsdArg, idArg, reasonArg, referenceArg, severityArg, stopReason, summaryArg } from '../../domain/operator-input';
import {
  formatBalances,
  formatIncident,
  formatIncidents,
  formatModes,
  formatPnl,
  formatRebalance,
  formatRebalances,
  formatKillSwitch,
  formatSessions,
  formatStopFailed,
  usd,
} from '../telegram/format';
import { killSwitch } from '../kill-switch';

/** `cli:<os user>`: who ran the command, as the workflows and the audit trail record it. */
export function cliOperator(): Operator {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid still identifies the caller.
    name = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return { id: `cli:${name}`, channel: 'cli' };
}

/** A commander parser from the same zod rule the bot and the workflows use, failing with the flag's name. */
export function check<T>(schema: ZodType<T>, flag: string) {
  return (value: string): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new InvalidArgumentError(`${flag}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    return r.data;
  };
}

interface Closable {
  close(): Promise<void>;
}

const isClosable = (d: unknown): d is Closable => typeof (d as Partial<Closable>).close === 'function';

/**
 * The bot's commands on the command line (same DeskControl, same rules, same
 * text). `desk` is called only when a command runs, so `--help` needs no
 * Temporal; if what it returns has `close()`, that is called afterwards.
 */
export function registerOperateCommands(program: Command, ctx: CliContext, desk: () => Promise<DeskControl>): void {
  async function withDesk<T>(fn: (d: DeskControl) => Promise<T>): Promise<T> {
    const d = await desk();
    try {
      return await fn(d);
    } finally {
      if (isClosable(d)) await d.close();
    }
  }
  const print = (json: boolean | undefined, data: unknown, text: string) => ctx.out(json ? JSON.stringify(data) : text);

  program
    .command('stop')
    .description(summary('stop'))
    // The kill switch never refuses because of its reason: it is cleaned and clipped instead.
    .option('--reason <text>', 'why (recorded in the audit trail)', (v: string) => stopReason(v, 'kill switch via CLI'))
    .action((opts: { reason?: string }) => runKillSwitch(ctx, desk, opts.reason ?? 'kill switch via CLI'));

  program
    .command('pause')
    .description(summary('pause'))
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)', check(reasonArg, '--reason'))
    .action(async (opts: { reason: string }) => {
      const sessions = await withDesk((d) => d.pauseAll(cliOperator(), opts.reason));
      ctx.out(formatModes('Paused', sessions, opts.reason));
    });

  program
    .command('resume')
    .description(summary('resume'))
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)', check(reasonArg, '--reason'))
    .action(async (opts: { reason: string }) => {
      const sessions = await withDesk((d) => d.resumeAll(cliOperator(), opts.reason));
      ctx.out(formatModes('Resumed', sessions, opts.reason));
    });

  program
    .command('sessions')
    .description(summary('sessions'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const sessions = await withDesk((d) => d.sessions());
      print(opts.json, sessions, formatSessions(sessions));
    });

  program
    .command('balance')
    .description(summary('balance'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const sessions = await withDesk((d) => d.sessions());
      print(opts.json, sessions.map((s) => ({ session: s.session, positions: s.positions })), formatBalances(sessions));
    });

  program
    .command('pnl')
    .description(summary('pnl'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const sessions = await withDesk((d) => d.sessions());
      print(opts.json, sessions.map((s) => ({ session: s.session, ...s.pnl })), formatPnl(sessions));
    });

  program
    .command('rebalances')
    .description(summary('rebalances'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withDesk((d) => d.rebalances());
      print(opts.json, list, formatRebalances(list));
    });

  program
    .command('approve')
    .description(summary('approve'))
    .argument('<id>', 'rebalance id', check(idArg, '<id>'))
    .requiredOption('--amount <usd>', 'amount transferred, in USD', check(amountUsdArg, '--amount'))
    .requiredOption('--reference <ref>', 'your transfer reference (exchange or tx id)', check(referenceArg, '--reference'))
    .action(async (id: string, opts: { amount: number; reference: string }) => {
      const r = await withDesk((d) => d.confirmTransfer(id, cliOperator(), { amountUsd: opts.amount, reference: opts.reference }));
      ctx.out(`Transfer of ${usd(opts.amount)} recorded (ref ${opts.reference}).\n${formatRebalance(r)}`);
    });

  program
    .command('reject')
    .description(summary('reject'))
    .argument('<id>', 'rebalance id', check(idArg, '<id>'))
    .requiredOption('--reason <text>', 'why (recorded in the audit trail)', check(reasonArg, '--reason'))
    .action(async (id: string, opts: { reason: string }) => {
      const r = await withDesk((d) => d.rejectRebalance(id, cliOperator(), opts.reason));
      ctx.out(`Rejected.\n${formatRebalance(r)}`);
    });

  program
    .command('incidents')
    .description(summary('incidents'))
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withDesk((d) => d.incidents());
      print(opts.json, list, formatIncidents(list));
    });

  const incident = program.command('incident').description(summary('incident'));
  incident
    .command('declare')
    .description('declare an incident')
    .requiredOption('--severity <SEV-n>', 'SEV-1 (fund loss, breach) to SEV-4 (minor)', check(severityArg, '--severity'))
    .requiredOption('--summary <text>', 'what is happening', check(summaryArg, '--summary'))
    .action(async (opts: { severity: IncidentSeverity; summary: string }) => {
      const i = await withDesk((d) => d.declareIncident(cliOperator(), { severity: opts.severity, summary: opts.summary }));
      ctx.out(`Incident declared.\n${formatIncident(i)}`);
    });
  incident
    .command('ack')
    .description('acknowledge an incident')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .action(async (id: string) => {
      const i = await withDesk((d) => d.acknowledgeIncident(id, cliOperator()));
      ctx.out(`Acknowledged.\n${formatIncident(i)}`);
    });
}

/**
 * The CLI's kill switch, for every session (`warden stop`) or named ones (`warden session stop`): one
 * core with Telegram's /stop (operator/kill-switch.ts): recorded first, confirmed within seconds, cancelled
 * directly at the venue where the desk does not confirm, and an error exit while anything is left to do.
 */
export async function runKillSwitch(ctx: CliContext, desk: () => Promise<DeskControl>, reason: string, only?: readonly string[]): Promise<void> {
  const loaded = ctx.config();
  let opened: DeskControl | undefined;
  let direct: { close(): Promise<void> } | undefined;
  try {
    const result = await killSwitch(
      {
        desk: async () => (opened = await desk()),
        configuredSessions: loaded.config.exchanges.filter((x) => x.strategy).map((x) => `${x.exchange}/${x.account}`),
        direct: async () => {
          // The CLI's one trail: a second one on the same spool would fork its chain.
          const d = await (await import('../direct-cancel')).openDirectCanceller(loaded, { accessedBy: 'operator-cli', audit: await ctx.audit?.() });
          direct = d;
          return d.canceller;
        },
        ...(only ? { only } : {}),
      },
      cliOperator(),
      reason,
    );
    if (result.deskError && !result.outcome.unconfirmed.length) throw new Error(formatStopFailed(sanitize(result.deskError), 'Revoke the exchange API keys at the exchange now.'));
    const text = sanitize(formatKillSwitch(result, reason));
    // Anything the operator must still act on is an error exit, so scripts notice.
    if (!result.complete) throw new Error(text);
    ctx.out(text);
  } finally {
    await direct?.close();
    if (opened && isClosable(opened)) await opened.close();
  }
}
