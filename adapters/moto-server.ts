import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port';

export interface MotoServer {
  endpoint: string;
  process: ChildProcess;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Local AWS emulation (Secrets Manager, KMS, S3 with Object Lock) for tests and the paper desk. */
export async function startMotoServer(opts: { port?: number; binary?: string } = {}): Promise<MotoServer> {
  const port = opts.port || (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(opts.binary ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start moto_server: ${e.message}`))));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${output}`);
    const ok = await Promise.race([
      fetch(`${endpoint}/moto-api/data.json`).then((r) => r.ok, () => false),
      spawnError,
    ]);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    endpoint,
    process: child,
    reset: async () => {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
