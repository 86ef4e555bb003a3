/**
 * A real server binary for a test, started on a free loopback port and polled until its
 * `/-/ready` answers (Prometheus and Alertmanager both serve it). A lost race for the port
 * shows as an early exit and is retried; anything else fails with the process's own output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../../adapters/free-port';

/** The first executable of `candidates`, or undefined. */
export function firstExecutable(candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `names` looked up on PATH, in order. */
export function onPath(names: readonly string[]): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return names.flatMap((name) => dirs.map((d) => join(d, name)));
}

export interface ReadyProcess {
  url: string;
  hostPort: string;
  child: ChildProcess;
  output: () => string;
}

export async function spawnUntilReady(name: string, binary: string, args: (hostPort: string, url: string) => string[], env: Record<string, string> = {}): Promise<ReadyProcess> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const hostPort = `127.0.0.1:${await freePort()}`;
    const url = `http://${hostPort}`;
    const child = spawn(binary, args(hostPort, url), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = `${name} exited (${code ?? signal}) before it was ready: ${output}`));
    child.once('error', (err) => (exit = `cannot start ${binary}: ${err.message}`));
    // Readiness polling with a deadline; an early exit ends it at once.
    const deadline = Date.now() + 30_000;
    let outcome: string | undefined;
    while (!outcome) {
      if (exit) outcome = exit;
      else if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) outcome = 'ready';
      else if (Date.now() > deadline) outcome = `${name} not ready on ${url} after 30 s: ${output}`;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (outcome === 'ready') return { url, hostPort, child, output: () => output };
    lastFailure = outcome;
    await stopChild(child);
    if (!/address already in use/i.test(outcome)) break;
  }
  throw new Error(lastFailure);
}

/** SIGTERM to the child's own PID, SIGKILL after 10 s: never anything but the process spawned here. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
