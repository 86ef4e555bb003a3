/**
 * The CLI's adapter of the operator core (operator/core/invoke.ts): commander reads the flags, the core
 * parses them with the same rules as the bot and the workflows, runs the command, writes its one
 * `operator_command` event to the CLI's trail and says what to print; here it is printed, or made an
 * error exit. The connections a command opens are closed after it.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ZodType } from 'zod';
import type { DeskControl } from '../../clients/desk-control';
import type { CliContext } from '../cli';
import type { CommandAudit } from '../core/audit';
import type { CoreCommandName, IncidentRunbook } from '../core/commands';
import { cliOperator } from '../core/identity';
import { describeFailure, invoke, type OperatorCoreDeps } from '../core/invoke';

/** A commander parser from a domain rule, failing with the flag's name (for flags the core does not read). */
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

const isClosable = (d: unknown): d is Closable => typeof (d as Partial<Closable> | undefined)?.close === 'function';

/** What a command may open: each at most once, closed when the command ends. */
export interface CoreOpeners {
  desk?: () => Promise<DeskControl>;
  incidents?: () => Promise<IncidentRunbook>;
}

/** The core's argument names as the CLI spells them: `amountUsd` is `--amount`. */
export type Flags = Readonly<Record<string, string>>;

/** The CLI's trail (opened on first use); a write that fails is said, and the command exits non-zero. */
function cliAudit(ctx: CliContext): CommandAudit {
  return {
    async record(event) {
      const trail = await ctx.audit?.();
      await trail?.record(event);
    },
    unrecorded(_event, err) {
      console.error(`warden: the action was NOT written to the CLI audit trail: ${describeFailure(err)}`);
      process.exitCode = 1;
    },
  };
}

export async function runCore(
  ctx: CliContext,
  cmd: Command,
  open: CoreOpeners,
  name: CoreCommandName,
  raw: Record<string, unknown>,
  opts: { flags: Flags; json?: boolean },
): Promise<void> {
  const loaded = ctx.config();
  const opened: Closable[] = [];
  const once = <T>(fn: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () =>
      (p ??= fn().then((v) => {
        if (isClosable(v)) opened.push(v);
        return v;
      }));
  };
  const deps: OperatorCoreDeps = {
    desk: once(open.desk ?? (() => Promise.reject(new Error(`${name}: no desk connection here`)))),
    ...(open.incidents ? { incidents: once(open.incidents) } : {}),
    stop: {
      configuredSessions: loaded.config.exchanges.filter((x) => x.strategy).map((x) => `${x.exchange}/${x.account}`),
      direct: async () => {
        // The CLI's one trail: a second one on the same spool would fork its chain.
        const d = await (await import('../direct-cancel')).openDirectCanceller(loaded, { accessedBy: 'operator-cli', audit: await ctx.audit?.() });
        opened.push(d);
        return d.canceller;
      },
    },
    accounts: loaded.config.exchanges.map((x) => `${x.exchange}/${x.account}`),
    audit: cliAudit(ctx),
    auditReads: false,
  };
  try {
    const reply = await invoke(deps, { op: cliOperator(), name, raw });
    switch (reply.kind) {
      case 'invalid': {
        const field = reply.problem.field?.split('/').map((f) => opts.flags[f] ?? f).join('/') ?? 'argument';
        cmd.error(`${field}: ${reply.problem.message}`, { exitCode: 1, code: 'warden.invalidArgument' });
        break;
      }
      case 'failed':
        // The kill switch's text says what to do next; any other failure is the error itself (main() prints it).
        throw reply.guided ? new Error(reply.text) : reply.error;
      case 'refused':
        throw new Error(reply.text);
      case 'asked':
        break;
      case 'done':
        // Anything the operator must still act on (a kill switch left unconfirmed) is an error exit, so scripts notice.
        if (reply.outcome === 'failed') throw new Error(reply.text);
        ctx.out(opts.json ? JSON.stringify(reply.data) : reply.text);
    }
  } finally {
    for (const c of opened.reverse()) await c.close();
  }
}
