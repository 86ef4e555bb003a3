import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstExecutable, onPath, spawnUntilReady, stopChild } from './ready-process';

/**
 * A throwaway real Alertmanager (Debian's prometheus-alertmanager, scripts/ensure-alertmanager.sh)
 * on a free loopback port, clustering off, with a temp data dir. Never mocked, never skipped:
 * without the binary the test fails and says how to get it.
 */

const INSTALL_HINT = "run `bash scripts/ensure-alertmanager.sh` (installs Debian's prometheus-alertmanager: the server + amtool)";

/** $ALERTMANAGER_PATH, else Debian's `prometheus-alertmanager` or upstream's `alertmanager` on PATH. */
export function requireAlertmanager(): string {
  const override = process.env.ALERTMANAGER_PATH;
  const found = firstExecutable(override ? [override] : onPath(['prometheus-alertmanager', 'alertmanager']));
  if (found) return found;
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
  const p = await spawnUntilReady(
    'alertmanager',
    binary,
    (hostPort, url) => [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=${hostPort}`,
      `--web.external-url=${url}`,
      // An empty address turns the gossip cluster off: no second port, no peer wait before notifying.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    opts.env,
  ).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: p.url,
    hostPort: p.hostPort,
    dir,
    pid: p.child.pid,
    alerts: async () => {
      const res = await fetch(`${p.url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as AmAlert[];
    },
    output: p.output,
    stop: async () => {
      await stopChild(p.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
