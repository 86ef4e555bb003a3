import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../adapters/free-port';

/**
 * A throwaway real Alertmanager (Debian's prometheus-alertmanager, scripts/ensure-alertmanager.sh)
 * on a free loopback port, clustering off, with a temp data dir. Never mocked, never skipped:
 * without the binary the test fails and says how to get it.
 */

const INSTALL_HINT = "run `bash scripts/ensure-alertmanager.sh` (installs Debian's prometheus-alertmanager: the server + amtool)";

/** $ALERTMANAGER_PATH, else Debian's `prometheus-alertmanager` or upstream's `alertmanager` on PATH. */
export function requireAlertmanager(): string {
  const override = process.env.ALERTMANAGER_PATH;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = override ? [override] : ['prometheus-alertmanager', 'alertmanager'].flatMap((name) => dirs.map((d) => join(d, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`Alertmanager not found${override ? ` at ${override}` : ' on PATH (prometheus-alertmanager or alertmanager)'}: ${INSTALL_HINT}.`);
}

/** One alert as Alertmanager's API v2 (GET /api/v2/alerts) shows it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  receivers: Array<{ name: string }>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

export interface AlertmanagerServer {
  url: string;
  /** host:port, as a Prometheus alerting target. */
  hostPort: string;
  dir: string;
  pid: number | undefined;
  /** GET /api/v2/alerts (active, silenced, inhibited and unprocessed alike). */
  alerts(): Promise<AmAlert[]>;
  output(): string;
  stop(): Promise<void>;
}

export interface StartAlertmanagerOptions {
  /** The alertmanager.yml text to run. */
  config: string;
  /** Extra environment for the process (SSL_CERT_FILE, say). */
  env?: Record<string, string>;
}

export async function startAlertmanager(opts: StartAlertmanagerOptions): Promise<AlertmanagerServer> {
  const binary = requireAlertmanager();
  const dir = mkdtempSync(join(tmpdir(), 'warden-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, opts.config);
  // freePort can race with another process taking the port; a lost race shows as an early exit, so retry.
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const hostPort = `127.0.0.1:${port}`;
    const url = `http://${hostPort}`;
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=${hostPort}`,
        `--web.external-url=${url}`,
        // An empty address turns the gossip cluster off: no second port, no peer wait before notifying.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
    );
    let output = '';
    const keep = (c: Buffer) => {
      output = (output + c.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = `alertmanager exited (${code ?? signal}) before it was ready: ${output}`));
    child.once('error', (err) => (exit = `cannot start ${binary}: ${err.message}`));
    // Readiness polling with a deadline; an early exit ends it at once.
    const deadline = Date.now() + 30_000;
    let outcome: string | undefined;
    while (!outcome) {
      if (exit) outcome = exit;
      else if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) outcome = 'ready';
      else if (Date.now() > deadline) outcome = `alertmanager not ready on ${url} after 30 s: ${output}`;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (outcome === 'ready') {
      return {
        url,
        hostPort,
        dir,
        pid: child.pid,
        alerts: async () => {
          const res = await fetch(`${url}/api/v2/alerts`);
          if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}`);
          return (await res.json()) as AmAlert[];
        },
        output: () => output,
        stop: async () => {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastFailure = outcome;
    await stopChild(child);
    if (!/address already in use/i.test(outcome)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(lastFailure);
}

/** SIGTERM to the child's own PID, SIGKILL after 10 s: never anything but the process spawned here. */
function stopChild(child: ChildProcess): Promise<void> {
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
