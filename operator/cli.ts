import { Command, CommanderError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, type LoadedConfig } from '../config/load';
import { registerAuditCommands } from './commands/audit';
import { registerDeskCommands } from './commands/desk';
import { registerSecurityCommands } from './commands/security';
import { registerSimCommands } from './commands/sim';
import { registerSessionCommands } from './commands/session';
import { registerOperateCommands } from './commands/operate';
import { registerBotCommands } from './commands/bot';
import { registerIncidentCommands } from './commands/incident';
import type { DeskControl } from './desk-control';

/** What every subcommand receives: the validated config, loaded lazily so `--help` needs none. */
export interface CliContext {
  config(): LoadedConfig;
  out: (line: string) => void;
}

export function buildProgram(out: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command('warden')
    .description('Warden: a durable, security-first crypto trading desk on Temporal')
    .option('-c, --config <path>', 'config file (YAML or JSON)', process.env.WARDEN_CONFIG ?? DEFAULT_CONFIG_PATH)
    .showHelpAfterError()
    .exitOverride();
  let loaded: LoadedConfig | undefined;
  const ctx: CliContext = {
    config: () => (loaded ??= loadConfig(program.opts<{ config: string }>().config)),
    out,
  };
  registerDeskCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerSimCommands(program, ctx);
  registerSecurityCommands(program, ctx);
  registerSessionCommands(program, ctx);
  registerOperateCommands(program, ctx, () => temporalDesk(ctx));
  registerBotCommands(program, ctx);
  registerIncidentCommands(program, ctx);
  return program;
}

/** The Temporal-backed desk for one CLI command; `close` ends its connection afterwards. */
async function temporalDesk(ctx: CliContext): Promise<DeskControl & { close(): Promise<void> }> {
  const { config } = ctx.config();
  const [{ connectClient }, { TemporalDeskControl }] = await Promise.all([import('../workers/temporal-connection'), import('./temporal-desk-control')]);
  const client = await connectClient(config.temporal);
  return Object.assign(new TemporalDeskControl(client, config), { close: () => client.connection.close() });
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    const cause = (err as { cause?: Error }).cause;
    console.error(`warden: ${(err as Error).message}${cause?.message ? `: ${cause.message}` : ''}`);
    process.exit(1);
  }
}
