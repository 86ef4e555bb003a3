/**
 * One operator command, whatever the channel: the channel's own checks, the arguments, the confirmation
 * where the channel has buttons, the run, the reply and exactly one `operator_command` audit event.
 * The CLI (operator/commands/run-core.ts) and the bot (operator/telegram/bot.ts) are adapters around it.
 */
import { sanitize } from '../../adapters/redact';
import type { Operator, OperatorChannel } from '../../clients/desk-control';
import { auditCommand, type CommandAudit, type CommandOutcome } from './audit';
import { CORE_COMMANDS, parseOperatorCommand, type ArgProblem, type CommandDeps, type CoreCommandName, type Prepared } from './commands';
import { formatFailed, formatStopFailed } from './format';

export interface OperatorCoreDeps extends CommandDeps {
  audit: CommandAudit;
  /**
   * Reads (status, balances) are audited too. The bot's askers are remote, so it audits every
   * command; a shell user reading the desk is not an operator action, so the CLI does not.
   */
  auditReads: boolean;
}

export type Reply =
  | { kind: 'done'; outcome: 'accepted' | 'failed'; text: string; data?: unknown }
  | { kind: 'invalid'; problem: ArgProblem; text: string }
  | { kind: 'refused'; text: string }
  /** The command threw; `guided` when the text says what to do next (the kill switch's), beyond the error. */
  | { kind: 'failed'; text: string; error: unknown; guided: boolean }
  /** Waiting for the operator's confirmation (the channel asked). */
  | { kind: 'asked' };

export interface Invocation {
  op: Operator;
  name: CoreCommandName;
  /** The command's fields as the channel read them (flags, words), still unparsed. */
  raw: Record<string, unknown>;
  /** A channel's own refusal before the arguments are read (the bot's: a stale message). */
  guard?: (name: CoreCommandName) => { why: string; reply: string } | undefined;
  /** How the channel read the command when it read it leniently (`/stop!`): before the reply and the audit detail. */
  note?: string;
  /** Channels with buttons ask before a command that needs a confirmation; it runs when one is pressed. */
  askFirst?: (prepared: Prepared) => Promise<void>;
}

/** What the operator can still do when the kill switch could not even be recorded, from where they are. */
const STOP_FAILED_ADVICE: Readonly<Record<OperatorChannel, string | undefined>> = {
  cli: 'Revoke the exchange API keys at the exchange now.',
  telegram: undefined,
  pagerduty: undefined,
};

/** An error as one line for the operator: its message and its cause's, secrets scrubbed. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return sanitize(String(err)).slice(0, 500);
  const inner = err.cause instanceof Error ? err.cause : 'error' in err && err.error instanceof Error ? err.error : undefined;
  const text = inner?.message && !err.message.includes(inner.message) ? `${err.message}: ${inner.message}` : err.message;
  return sanitize(text).slice(0, 500);
}

const joined = (...parts: Array<string | undefined>) => parts.filter(Boolean).join('; ');

async function audit(deps: OperatorCoreDeps, op: Operator, command: string, kind: 'read' | 'action', outcome: CommandOutcome, detail?: string): Promise<void> {
  if (kind === 'read' && outcome === 'accepted' && !deps.auditReads) return;
  await auditCommand(deps.audit, op, command, outcome, detail);
}

export async function invoke(deps: OperatorCoreDeps, inv: Invocation): Promise<Reply> {
  const { op, name } = inv;
  const { kind } = CORE_COMMANDS[name];
  const refusal = inv.guard?.(name);
  if (refusal) {
    await audit(deps, op, name, 'action', 'refused', refusal.why);
    return { kind: 'refused', text: refusal.reply };
  }
  const parsed = parseOperatorCommand(name, inv.raw, op.channel);
  const problem = parsed.ok ? parsed.prepared.refusal(deps) : parsed.problem;
  if (problem || !parsed.ok) {
    const p = problem ?? { message: 'invalid' };
    const text = `${p.field ?? 'argument'}: ${p.message}`;
    await audit(deps, op, name, 'action', 'failed', text);
    return { kind: 'invalid', problem: p, text };
  }
  const { prepared } = parsed;
  if (prepared.confirm && inv.askFirst) {
    try {
      await inv.askFirst(prepared);
    } catch (err) {
      const message = describeFailure(err);
      await audit(deps, op, name, kind, 'failed', `confirmation prompt not sent: ${message}`);
      return { kind: 'failed', text: formatFailed(message), error: err, guided: false };
    }
    await audit(deps, op, name, kind, 'accepted', joined(prepared.asked, 'awaiting confirmation'));
    return { kind: 'asked' };
  }
  return perform(deps, op, prepared, { note: inv.note });
}

/**
 * Runs a parsed command and audits it: from invoke, or from the channel once the operator confirmed
 * (`auditAs` names that step, e.g. `resume:confirm`; `auditNote` says who asked). `note` goes before
 * the reply and the detail, `auditNote` before the detail only.
 */
export async function perform(
  deps: OperatorCoreDeps,
  op: Operator,
  prepared: Prepared,
  opts: { note?: string; auditNote?: string; auditAs?: string } = {},
): Promise<Reply> {
  const command = opts.auditAs ?? prepared.command.name;
  const prefix = opts.note ?? opts.auditNote;
  const noted = (detail: string) => (prefix ? `${prefix} ${detail}` : detail);
  let result;
  try {
    // For the kill switch this is the first thing that happens after the channel's checks: desk.stopAll.
    result = await prepared.run(deps, op);
  } catch (err) {
    const message = describeFailure(err);
    await audit(deps, op, command, prepared.kind, 'failed', noted(message));
    const text = prepared.killSwitch ? formatStopFailed(message, STOP_FAILED_ADVICE[op.channel]) : formatFailed(message);
    return { kind: 'failed', text, error: err, guided: prepared.killSwitch };
  }
  const outcome = result.outcome ?? 'accepted';
  await audit(deps, op, command, prepared.kind, outcome, noted(joined(prepared.asked, result.detail)));
  const text = sanitize(opts.note ? `${opts.note}\n${result.reply}` : result.reply);
  return { kind: 'done', outcome, text, ...(result.data !== undefined ? { data: result.data } : {}) };
}
