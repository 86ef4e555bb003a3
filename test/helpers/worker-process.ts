import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAPER_SECRETS_FILE } from '../../adapters/secrets';
import { tempDir } from './audit';

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** The identity the worker reports in activity results: `<pid>@<host>`. */
  identity: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** A config for real `warden worker` processes: paper profile, the suite's Temporal, the simulator's venues. */
export function writeWorkerConfig(opts: { temporalAddress: string; taskQueue: string; simUrl: string; accounts: Array<{ exchange: string; account: string }> }): string {
  const dir = tempDir('warden-worker-cfg-');
  const exchanges = opts.accounts.map((a) => `  - { exchange: ${a.exchange}, account: ${a.account}, baseUrl: "${opts.simUrl}", symbols: [BTC/USDT, ETH/USDT] }`).join('\n');
  const path = join(dir, 'warden.yaml');
  writeFileSync(
    path,
    `profile: paper\ndesk: { name: crash }\ntemporal: { address: "${opts.temporalAddress}", taskQueue: "${opts.taskQueue}" }\nexchanges:\n${exchanges}\nsecrets: { provider: local-file }\nmetrics: { port: 0 }\n`,
  );
  return path;
}

/**
 * Starts `warden worker` as its own process (what an operator runs), with a
 * state directory of its own holding a copy of the paper secrets. Resolves
 * once the worker says it is polling.
 */
export async function startWorkerProcess(configPath: string, secretsFrom: string): Promise<WorkerProcess> {
  const stateDir = tempDir('warden-worker-state-');
  mkdirSync(stateDir, { recursive: true });
  copyFileSync(join(secretsFrom, PAPER_SECRETS_FILE), join(stateDir, PAPER_SECRETS_FILE));
  const cfg = `${configPath}.${Date.now()}${Math.random().toString(36).slice(2)}.yaml`;
  const text = (await import('node:fs')).readFileSync(configPath, 'utf8').replace('desk: { name: crash }', `desk: { name: crash, stateDir: "${stateDir}" }`);
  writeFileSync(cfg, text);
  const child = spawn('node', ['bin/warden.js', '--config', cfg, 'worker'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDEN_LOG_LEVEL: 'warn' } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('worker polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before polling:\n${out}`));
    });
  });
  const { hostname } = await import('node:os');
  return { child, pid: child.pid!, identity: `${child.pid}@${hostname()}`, output: () => out, exited };
}
