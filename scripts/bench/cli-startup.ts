import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../config/paths';
import { deskStatusQuery } from '../../contracts/desk';
import { deskWorkflow } from '../../workflows/desk';
import { ensureBuilt } from '../../bin/build-cli.mjs';
import { benchEnv, round, stats } from './env';
import type { Benchmark } from './types';

const RUNS = 15;

/** Async on purpose: the desk's worker runs in this process, and a blocked event loop could not answer the query. */
function wallMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/** The worker may still be starting: the desk answers its first query once it polls. */
async function untilAnswers(query: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await query();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
  }
}

/** `warden --help` and `warden status` (against a running desk) as ratios to a bare `node -e 0`, interleaved in one run. */
export const cliStartup: Benchmark = {
  name: 'cli_startup',
  description: 'wall time of `warden --help` and `warden status` against a running desk, as a ratio to `node -e 0`',
  async run() {
    await ensureBuilt();
    const env = await benchEnv('cli');
    const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
    try {
      await env.startWorker([]);
      const paper = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Record<string, Record<string, unknown>>;
      paper.desk = { ...paper.desk, name: 'bench-cli', stateDir: join(dir, 'state') };
      paper.temporal = { ...paper.temporal, address: env.temporal.address, taskQueue: env.taskQueue };
      const config = join(dir, 'warden.yaml');
      writeFileSync(config, stringify(paper));
      await env.client.workflow.start(deskWorkflow, { taskQueue: env.taskQueue, workflowId: 'desk/bench-cli', args: [{ desk: 'bench-cli', profile: 'paper' }] });
      const samples = { node: [] as number[], help: [] as number[], status: [] as number[] };
      await untilAnswers(() => env.client.workflow.getHandle('desk/bench-cli').query(deskStatusQuery));
      await wallMs(['bin/warden.js', '--config', config, 'status']); // warm the page cache
      for (let i = 0; i < RUNS; i++) {
        samples.node.push(await wallMs(['-e', '0']));
        samples.help.push(await wallMs(['bin/warden.js', '--help']));
        samples.status.push(await wallMs(['bin/warden.js', '--config', config, 'status']));
      }
      const [node, help, status] = [stats(samples.node), stats(samples.help), stats(samples.status)];
      return {
        node_p50: { value: round(node.p50, 1), unit: 'ms' },
        help_p50: { value: round(help.p50, 1), unit: 'ms' },
        status_p50: { value: round(status.p50, 1), unit: 'ms' },
        help_ratio: { value: round(help.p50 / node.p50), unit: 'x node -e 0' },
        status_ratio: { value: round(status.p50 / node.p50), unit: 'x node -e 0' },
        runs: { value: RUNS, unit: 'runs each' },
      };
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
