/**
 * Telegram command parsing: text in, the core's command (operator/core/commands.ts) or a one-line
 * error naming the argument out. Here only what is Telegram's: the names, the usage lines, how the
 * words of a message map to a command's fields. Pure, so every rule is unit-testable.
 */
import { parseOperatorCommand, type CoreCommandName, type OperatorCommand } from '../core/commands';

export interface TelegramCommandSpec {
  /** The core command it runs; `help` is the bot's own. */
  core: CoreCommandName | 'help';
  usage: string;
  summary: string;
  /** Argument names taking one word each, in order (the last one takes the rest of the line when there is no `rest`). */
  words: readonly string[];
  /** The argument that takes the rest of the line, if any. */
  rest?: string;
}

/** The catalogue, in the order /help lists it (the kill switch first). */
export const COMMANDS = {
  stop: { core: 'stop', usage: '/stop [reason]', summary: 'KILL SWITCH: stop every session and cancel all open orders now', words: [], rest: 'reason' },
  status: { core: 'sessions', usage: '/status', summary: 'every session: mode, breaker, value, orders', words: [] },
  pause: { core: 'pause', usage: '/pause [reason]', summary: 'pause new orders on every session (open orders stay)', words: [], rest: 'reason' },
  resume: { core: 'resume', usage: '/resume [reason]', summary: 'resume trading (asks for confirmation)', words: [], rest: 'reason' },
  balance: { core: 'balance', usage: '/balance', summary: 'balances per session', words: [] },
  pnl: { core: 'pnl', usage: '/pnl', summary: 'value, daily P&L and drawdown', words: [] },
  rebalances: { core: 'rebalances', usage: '/rebalances', summary: 'manual cold -> warm transfers waiting or done', words: [] },
  approve: { core: 'approve', usage: '/approve <id> <amountUsd> <reference>', summary: 'confirm the cold -> warm transfer you made', words: ['id', 'amountUsd'], rest: 'reference' },
  reject: { core: 'reject', usage: '/reject <id> <reason>', summary: 'reject a rebalance request', words: ['id'], rest: 'reason' },
  incidents: { core: 'incidents', usage: '/incidents', summary: 'open incidents', words: [] },
  incident: { core: 'incident declare', usage: '/incident <SEV-1..SEV-4> <summary>', summary: 'declare an incident', words: ['severity'], rest: 'summary' },
  ack: { core: 'incident ack', usage: '/ack <id>', summary: 'acknowledge an incident', words: ['id'] },
  help: { core: 'help', usage: '/help', summary: 'this list', words: [] },
} as const satisfies Record<string, TelegramCommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export type ParseResult = { ok: true; command: OperatorCommand | { name: 'help' } } | { ok: false; command: string; error: string };

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

/** The command's fields from the words after its name; with no `rest`, the last word takes what is left (`/ack rb 1` is the id "rb 1", refused). */
export function telegramArgs(spec: TelegramCommandSpec, rest: string): Record<string, string | undefined> {
  const args: Record<string, string | undefined> = {};
  let remaining = rest;
  for (const [i, word] of spec.words.entries()) {
    const last = i === spec.words.length - 1 && !spec.rest;
    const m = last ? /^([\s\S]+?)\s*$/.exec(remaining) : /^(\S+)\s*([\s\S]*)$/.exec(remaining);
    args[word] = m?.[1];
    remaining = last ? '' : (m?.[2] ?? '');
  }
  if (spec.rest) args[spec.rest] = remaining.trim() || undefined;
  return args;
}

/** A command name (or alias) as typed, resolved to its spec. */
export function telegramCommand(name: string): { name: CommandName; spec: TelegramCommandSpec } | undefined {
  const resolved = ALIASES[name] ?? name;
  return isCommandName(resolved) ? { name: resolved, spec: COMMANDS[resolved] } : undefined;
}

export const unknownCommand = (name: string) => `unknown command /${name.slice(0, 32)}. Send /help for the list.`;

/** `/approve rb-1 5000 tx 1` as the bot reads it (what the bot runs goes through operator/core/invoke.ts). */
export function parseCommand(name: string, rest: string): ParseResult {
  const found = telegramCommand(name);
  if (!found) return { ok: false, command: name.slice(0, 32), error: unknownCommand(name) };
  const { spec } = found;
  if (spec.core === 'help') return { ok: true, command: { name: 'help' } };
  const parsed = parseOperatorCommand(spec.core, telegramArgs(spec, rest), 'telegram');
  if (!parsed.ok) return { ok: false, command: spec.core, error: `${parsed.problem.field ?? 'argument'}: ${parsed.problem.message}\nUsage: ${spec.usage}` };
  return { ok: true, command: parsed.prepared.command };
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
