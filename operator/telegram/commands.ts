/**
 * Telegram command parsing and validation: text in, a typed command or a
 * one-line error naming the argument out. Pure, so every rule is unit-testable.
 */
import { z } from 'zod';
import type { IncidentSeverity } from '../../domain/severity';
import { amountUsdArg, firstIssue, idArg, reasonArg, referenceArg, severityArg, stopReason, summaryArg } from '../../domain/operator-input';

export type OperatorCommand =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'balance' }
  | { name: 'pnl' }
  | { name: 'rebalances' }
  | { name: 'incidents' }
  | { name: 'stop'; reason: string }
  | { name: 'pause'; reason: string }
  | { name: 'resume'; reason: string }
  | { name: 'approve'; id: string; amountUsd: number; reference: string }
  | { name: 'reject'; id: string; reason: string }
  | { name: 'incident'; severity: IncidentSeverity; summary: string }
  | { name: 'ack'; id: string };

export type CommandName = OperatorCommand['name'];

export type ParseResult = { ok: true; command: OperatorCommand } | { ok: false; command: string; error: string };

interface CommandSpec {
  usage: string;
  summary: string;
  /** Argument names taking one word each, in order. */
  words: readonly string[];
  /** The argument that takes the rest of the line, if any. */
  rest?: string;
  schema: z.ZodType<OperatorCommand>;
}

type Args = Record<string, string | undefined>;

type NoArgName = 'help' | 'status' | 'balance' | 'pnl' | 'rebalances' | 'incidents';
const noArgs = (name: NoArgName) => z.object({}).transform((): OperatorCommand => ({ name }));

/** The catalogue, in the order /help lists it (the kill switch first). */
export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  stop: {
    usage: '/stop [reason]',
    summary: 'KILL SWITCH: stop every session and cancel all open orders now',
    words: [],
    rest: 'reason',
    schema: z.object({ reason: z.string().optional() }).transform((a): OperatorCommand => ({ name: 'stop', reason: stopReason(a.reason, 'kill switch via Telegram') })),
  },
  status: { usage: '/status', summary: 'every session: mode, breaker, value, orders', words: [], schema: noArgs('status') },
  pause: {
    usage: '/pause [reason]',
    summary: 'pause new orders on every session (open orders stay)',
    words: [],
    rest: 'reason',
    schema: z.object({ reason: reasonArg.optional() }).transform((a): OperatorCommand => ({ name: 'pause', reason: a.reason ?? 'paused via Telegram' })),
  },
  resume: {
    usage: '/resume [reason]',
    summary: 'resume trading (asks for confirmation)',
    words: [],
    rest: 'reason',
    schema: z.object({ reason: reasonArg.optional() }).transform((a): OperatorCommand => ({ name: 'resume', reason: a.reason ?? 'resumed via Telegram' })),
  },
  balance: { usage: '/balance', summary: 'balances per session', words: [], schema: noArgs('balance') },
  pnl: { usage: '/pnl', summary: 'value, daily P&L and drawdown', words: [], schema: noArgs('pnl') },
  rebalances: { usage: '/rebalances', summary: 'manual cold -> warm transfers waiting or done', words: [], schema: noArgs('rebalances') },
  approve: {
    usage: '/approve <id> <amountUsd> <reference>',
    summary: 'confirm the cold -> warm transfer you made',
    words: ['id', 'amountUsd'],
    rest: 'reference',
    schema: z
      .object({ id: idArg, amountUsd: amountUsdArg, reference: referenceArg })
      .transform((a): OperatorCommand => ({ name: 'approve', id: a.id, amountUsd: a.amountUsd, reference: a.reference })),
  },
  reject: {
    usage: '/reject <id> <reason>',
    summary: 'reject a rebalance request',
    words: ['id'],
    rest: 'reason',
    schema: z.object({ id: idArg, reason: reasonArg }).transform((a): OperatorCommand => ({ name: 'reject', id: a.id, reason: a.reason })),
  },
  incidents: { usage: '/incidents', summary: 'open incidents', words: [], schema: noArgs('incidents') },
  incident: {
    usage: '/incident <SEV-1..SEV-4> <summary>',
    summary: 'declare an incident',
    words: ['severity'],
    rest: 'summary',
    schema: z.object({ severity: severityArg, summary: summaryArg }).transform((a): OperatorCommand => ({ name: 'incident', severity: a.severity, summary: a.summary })),
  },
  ack: { usage: '/ack <id>', summary: 'acknowledge an incident', words: ['id'], schema: z.object({ id: idArg }).transform((a): OperatorCommand => ({ name: 'ack', id: a.id })) },
  help: { usage: '/help', summary: 'this list', words: [], schema: noArgs('help') },
};

/** Names Telegram users reach for out of habit. */
const ALIASES: Readonly<Record<string, CommandName>> = { start: 'help', sessions: 'status', balances: 'balance' };

const isCommandName = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** What a message's text is, as far as commands go. */
export type CommandLine =
  | { kind: 'command'; name: string; rest: string; /** Set when the text was read leniently (`/stop!` as /stop). */ note?: string }
  | { kind: 'malformed'; command: string; problem: string };

/** Shows an attacker- or thumb-typed character safely in a reply. */
const shown = (ch: string) => (/^[!-~]$/.test(ch) ? `"${ch}"` : 'a symbol');

/**
 * `/stop@WardenBot too risky` -> a command `{ name: 'stop', rest: 'too risky' }`.
 * `/pause!` -> malformed, with the problem named (it used to be silently ignored).
 * `/stop!`, `/stop.`, `/stop,now` -> /stop: the kill switch is forgiving, an operator in a panic
 * must not be refused over punctuation. Undefined for plain text and for commands addressed to
 * another bot in a group.
 */
export function readCommandLine(text: string, botUsername: string): CommandLine | undefined {
  const trimmed = text.trim();
  const m = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?([\s\S]*)$/.exec(trimmed);
  if (!m) {
    // "/" then something no command starts with ("/ stop", "/!"): a command was meant, say so.
    return trimmed.startsWith('/') ? { kind: 'malformed', command: 'malformed', problem: 'not a command: a command is / followed by its name, e.g. /status. Send /help for the list.' } : undefined;
  }
  if (m[2] && m[2].toLowerCase() !== botUsername.toLowerCase()) return undefined;
  const name = m[1]!.toLowerCase();
  const tail = m[3] ?? '';
  if (tail === '' || /^\s/.test(tail)) return { kind: 'command', name, rest: tail.trim() };
  if (name === 'stop') {
    return { kind: 'command', name, rest: tail.replace(/^[^\sA-Za-z0-9]+/, '').trim(), note: `Read "/stop${tail.slice(0, 1)}" as /stop.` };
  }
  const resolved = ALIASES[name] ?? name;
  const ch = shown(tail.slice(0, 1));
  const problem = isCommandName(resolved)
    ? `/${name} followed by ${ch} is not a command: put a space after /${name}. Nothing was done.\nUsage: ${COMMANDS[resolved].usage}`
    : `unknown command /${name.slice(0, 32)} (followed by ${ch}). Send /help for the list.`;
  return { kind: 'malformed', command: isCommandName(resolved) ? resolved : name.slice(0, 32), problem };
}

/** The well-formed case of readCommandLine (kept for callers that only want commands). */
export function splitCommand(text: string, botUsername: string): { name: string; rest: string } | undefined {
  const line = readCommandLine(text, botUsername);
  return line?.kind === 'command' && !line.note ? { name: line.name, rest: line.rest } : undefined;
}

function toArgs(spec: CommandSpec, rest: string): Args {
  const args: Args = {};
  let remaining = rest;
  for (const word of spec.words) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(remaining);
    args[word] = m?.[1];
    remaining = m?.[2] ?? '';
  }
  if (spec.rest) args[spec.rest] = remaining.trim() || undefined;
  return args;
}

export function parseCommand(name: string, rest: string): ParseResult {
  const resolved = ALIASES[name] ?? name;
  if (!isCommandName(resolved)) return { ok: false, command: name.slice(0, 32), error: `unknown command /${name.slice(0, 32)}. Send /help for the list.` };
  const spec = COMMANDS[resolved];
  const parsed = spec.schema.safeParse(toArgs(spec, rest));
  if (!parsed.success) return { ok: false, command: resolved, error: `${firstIssue(parsed.error)}\nUsage: ${spec.usage}` };
  return { ok: true, command: parsed.data };
}

// ---- confirmation buttons -------------------------------------------------------

export type ConfirmAction = 'confirm' | 'cancel';

/** Telegram caps callback data at 64 bytes; ours is `resume:<action>:<16 hex>`. */
export function resumeCallbackData(action: ConfirmAction, nonce: string): string {
  return `resume:${action}:${nonce}`;
}

export function parseCallbackData(data: string): { action: ConfirmAction; nonce: string } | undefined {
  const m = /^resume:(confirm|cancel):([0-9a-f]{16})$/.exec(data);
  return m ? { action: m[1] as ConfirmAction, nonce: m[2]! } : undefined;
}
