import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../config/paths';
import type { LoadedConfig } from '../config/load';
import type { AuditRecorder, AuditTrail } from '../adapters/audit';
import type { DeskControl } from '../clients/desk-control';
import { COMMANDS, type CommandGroup, type CommandName } from './command-index';

/** What every subcommand receives: the validated config, loaded lazily so `--help` needs none. */
export interface CliContext {
  config(): LoadedConfig;
  out: (line: string) => void;
  /** The CLI's own audit trail, opened on first use (absent in in-process tests that do not need one). */
  audit?: () => Promise<AuditRecorder>;
}

/**
 * Actions outside the operator core: each writes an `operator_command` event (and its secret reads) to
 * the CLI's trail once it ends. The core's commands (stop, session stop, pause, resume, approve, reject,
 * incident declare|ack|false-positive|contain|findings|resume) write their own, as on Telegram, so they
 * are not listed here: each invocation is audited exactly once.
 */
export const AUDITED_COMMANDS: ReadonlySet<string> = new Set([
  'secrets stage',
  'keys audit',
  'preflight',
  'rotation staged',
  'rotation revoked',
]);

/** The audited action this process runs, and its trail once opened. */
interface CliAudit {
  action?: { command: string; args: readonly string[]; opts: Record<string, unknown> };
  trail?: Promise<AuditTrail>;
  open(): Promise<AuditTrail>;
}

type Register = (program: Command, ctx: CliContext) => void;

type Loader = () => Promise<Register>;

const operate: Loader = async () => {
  const mod = await import('./commands/operate');
  return (program, ctx) => mod.registerOperateCommands(program, ctx, () => temporalDesk(ctx));
};

/** Each group's modules are imported only when one of its commands runs. */
const GROUPS: Record<CommandGroup, Loader[]> = {
  alerts: [async () => (await import('./commands/alerts')).registerAlertCommands],
  audit: [async () => (await import('./commands/audit')).registerAuditCommands],
  bot: [async () => (await import('./commands/bot')).registerBotCommands],
  desk: [async () => (await import('./commands/desk')).registerDeskCommands],
  operate: [operate],
  // `incident declare|ack` live with the operator commands, the runbook steps in their own module.
  incident: [operate, async () => (await import('./commands/incident')).registerIncidentCommands],
  security: [async () => (await import('./commands/security')).registerSecurityCommands],
  session: [
    async () => {
      const mod = await import('./commands/session');
      return (program, ctx) => mod.registerSessionCommands(program, ctx, () => temporalDesk(ctx));
    },
  ],
  sim: [async () => (await import('./commands/sim')).registerSimCommands],
  tools: [async () => (await import('./commands/tools')).registerToolCommands],
};

function baseProgram(out: (line: string) => void): { program: Command; ctx: CliContext; audit: CliAudit } {
  const program = new Command('warden')
    .description('Warden: a durable, security-first crypto trading desk on Temporal')
    .option('-c, --config <path>', 'config file (YAML or JSON)', process.env.WARDEN_CONFIG ?? DEFAULT_CONFIG_PATH)
    .showHelpAfterError()
    .exitOverride();
  let loaded: LoadedConfig | undefined;
  const audit: CliAudit = {
    open: () => (audit.trail ??= import('./cli-audit').then((m) => m.openCliTrail(ctx.config()))),
  };
  const ctx: CliContext = {
    config: () => {
      if (!loaded) throw new Error('config requested before the command loaded it');
      return loaded;
    },
    out,
    audit: () => audit.open(),
  };
  // Loaded before the action runs (zod and yaml cost tens of ms, which `--help` never pays).
  program.hook('preAction', async (_program, action) => {
    const { loadConfig } = await import('../config/load');
    loaded ??= loadConfig(program.opts<{ config: string }>().config);
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    if (AUDITED_COMMANDS.has(path.join(' '))) audit.action = { command: path.join(' '), args: action.args, opts: action.opts() };
  });
  return { program, ctx, audit };
}

/** Writes the action's outcome to the CLI's trail; a trail that cannot be written is said, not hidden. */
async function finishAudit(audit: CliAudit, failure: unknown): Promise<void> {
  if (!audit.action && !audit.trail) return;
  try {
    const m = await import('./cli-audit');
    // Opened by a core command that could not open it: that command already said so.
    const trail = audit.action ? await audit.open() : await audit.open().catch(() => undefined);
    if (!trail) return;
    if (audit.action) await m.recordCliAction(trail, audit.action, failure, Number(process.exitCode ?? 0));
    await m.closeCliTrail(trail);
  } catch (err) {
    console.error(`warden: the action was NOT written to the CLI audit trail: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

async function register(program: Command, ctx: CliContext, groups: Iterable<CommandGroup>): Promise<void> {
  const loaded = new Set<Loader>();
  for (const group of groups) {
    for (const load of GROUPS[group]) {
      if (loaded.has(load)) continue;
      loaded.add(load);
      (await load())(program, ctx);
    }
  }
}

/** Every command registered (tests and the compose check use this). */
export async function buildProgram(out: (line: string) => void = (l) => console.log(l)): Promise<Command> {
  const { program, ctx } = baseProgram(out);
  await register(program, ctx, Object.keys(GROUPS) as CommandGroup[]);
  return program;
}

/** The first argument that is not a global option: the command the user asked for. */
function requestedCommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The Temporal-backed desk for one CLI command; `close` ends its connection afterwards. */
async function temporalDesk(ctx: CliContext): Promise<DeskControl & { close(): Promise<void> }> {
  const parts = (await import('../workers/composition')).composeDesk(ctx.config(), 'cli');
  return Object.assign(await parts.desk(), { close: () => parts.close() });
}

export async function main(argv: string[]): Promise<void> {
  const { program, ctx, audit } = baseProgram((l) => console.log(l));
  const name = requestedCommand(argv.slice(2));
  const entry = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name as CommandName] : undefined;
  if (entry) await register(program, ctx, [entry.group]);
  else for (const [cmd, { summary }] of Object.entries(COMMANDS)) program.command(cmd).description(summary);
  let failure: unknown;
  await program.parseAsync(argv).catch((err: unknown) => (failure = err ?? new Error('unknown failure')));
  await finishAudit(audit, failure);
  if (failure !== undefined) {
    const err = failure;
    // Thrown by an action, not the parser: commander printed nothing (it re-throws its own parse errors as plain CommanderErrors).
    if (err instanceof InvalidArgumentError) {
      console.error(`warden: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const { ConfigError } = await import('../config/load');
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    const cause = (err as { cause?: Error }).cause;
    console.error(`warden: ${(err as Error).message}${cause?.message ? `: ${cause.message}` : ''}`);
    process.exit(1);
  }
}
