import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { untilSignal } from '../../workers/until-signal';
import { DEFAULT_SIM_PORT, PAPER_ACCOUNT, registerPaperKeys, startSimulator, type PaperKeys } from '../../simulator/index';

export interface SimRunOptions {
  host: string;
  port: number;
  seed: number;
  /** Wall-clock interval between price ticks (also the simulated time per tick); 0 leaves prices still. */
  tickMs: number;
  json?: boolean;
}

export function parsePortFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`${flag}: must be a port number 1-65535 (got "${value}")`);
  return n;
}

export function parseSeedFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 4_294_967_295) throw new InvalidArgumentError(`${flag}: must be an integer 0-4294967295 (got "${value}")`);
  return n;
}

function parseTickFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 3_600_000) throw new InvalidArgumentError(`${flag}: must be milliseconds 0-3600000 (got "${value}")`);
  return n;
}

/** Runs the simulator with the paper keys until `until` settles (SIGINT/SIGTERM from the CLI). */
export async function runSim(opts: SimRunOptions, out: (line: string) => void, until: () => Promise<unknown> = untilSignal): Promise<PaperKeys> {
  const sim = await startSimulator({
    host: opts.host,
    port: opts.port,
    seed: opts.seed,
    ...(opts.tickMs > 0 ? { tickMs: opts.tickMs, autoTickMs: opts.tickMs } : {}),
  });
  try {
    const keys = registerPaperKeys(sim);
    if (opts.json) {
      out(JSON.stringify({ url: sim.url, seed: opts.seed, account: PAPER_ACCOUNT, keys }));
    } else {
      out(`Warden exchange simulator on ${sim.url} (seed ${opts.seed}, ${opts.tickMs > 0 ? `a price tick every ${opts.tickMs} ms` : 'prices move only by /__admin/tick'})`);
      out(`  binance  ${sim.url}/api/v3, ${sim.url}/sapi/v1`);
      out(`  okx      ${sim.url}/api/v5`);
      out(`  bybit    ${sim.url}/v5`);
      out(`  admin    ${sim.url}/__admin (loopback callers only)`);
      out(`Paper account "${PAPER_ACCOUNT}" keys (simulator keys, not real secrets; read+trade, 127.0.0.1 only):`);
      for (const [venue, k] of Object.entries(keys)) {
        out(`  ${venue.padEnd(8)} apiKey=${k.apiKey} secret=${k.secret}${k.passphrase ? ` passphrase=${k.passphrase}` : ''}`);
      }
      out('Press Ctrl-C to stop.');
    }
    await until();
    return keys;
  } finally {
    await sim.close();
  }
}

/** `warden sim`: the local exchange simulator the paper desk trades against. */
export function registerSimCommands(program: Command, ctx: CliContext): void {
  program
    .command('sim')
    .description(summary('sim'))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', (v) => parsePortFlag(v, '--port'), DEFAULT_SIM_PORT)
    .option('--seed <seed>', 'seed of the price paths (same seed, same prices)', (v) => parseSeedFlag(v, '--seed'), 1)
    .option('--tick-ms <ms>', 'advance prices every this many ms (0: only on /__admin/tick)', (v) => parseTickFlag(v, '--tick-ms'), 1000)
    .option('--json', 'print the URL and keys as one JSON line')
    .action(async (opts: SimRunOptions) => {
      await runSim(opts, ctx.out);
    });
}
