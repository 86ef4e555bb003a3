import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { firstExecutable, onPath, spawnUntilReady, stopChild } from './ready-process';

/**
 * Real Prometheus tooling for the ops tests: `promtool` for the config and rules, and
 * a throwaway `prometheus` server that scrapes a real /metrics endpoint. Never mocked,
 * never skipped: without the binaries the tests fail and say how to get them.
 */

const INSTALL_HINT = 'run `bash scripts/ensure-prometheus.sh` (installs Debian\'s prometheus package: promtool + prometheus)';

/** Absolute path of `name` ($PROMTOOL_PATH / $PROMETHEUS_PATH, else PATH), or an Error telling how to install it. */
export function requireBinary(name: 'promtool' | 'prometheus'): string {
  const override = process.env[`${name.toUpperCase()}_PATH`];
  const found = firstExecutable(override ? [override] : onPath([name]));
  if (found) return found;
  throw new Error(`${name} not found${override ? ` at ${override}` : ' on PATH'}: ${INSTALL_HINT}.`);
}

export interface ToolResult {
  status: number | null;
  output: string;
}

/** Runs promtool with `args` from `cwd`; stdout and stderr together (promtool splits its report across both). */
export function promtool(args: string[], cwd: string): ToolResult {
  const res = spawnSync(requireBinary('promtool'), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  value: string;
}

export interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: PromSample[] };
}

export interface PrometheusServer {
  url: string;
  dir: string;
  /** An instant query through /api/v1/query; returns Prometheus's JSON whatever the status. */
  query(expr: string): Promise<QueryResult>;
  targets(): Promise<PromTarget[]>;
  rules(): Promise<PromRule[]>;
  alerts(): Promise<PromAlert[]>;
  metricNames(): Promise<string[]>;
  output(): string;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** host:port targets per job name, scraped every second. */
  jobs: Record<string, string[]>;
  /** Absolute paths of rule files to load, evaluated every second. */
  ruleFiles?: string[];
  /** host:port of Alertmanagers the firing rules are sent to (none: alerts stay in Prometheus). */
  alertmanagers?: string[];
}

/** Starts a real `prometheus` on a free loopback port with a temp data dir and a generated config. */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusServer> {
  const binary = requireBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'warden-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: opts.ruleFiles ?? [],
      ...(opts.alertmanagers?.length ? { alerting: { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] } } : {}),
      scrape_configs: Object.entries(opts.jobs).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
    }),
  );
  const p = await spawnUntilReady('prometheus', binary, (hostPort) => [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=${hostPort}`,
    '--log.level=warn',
  ]).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return server(p.url, dir, p.child, p.output);
}

function server(url: string, dir: string, child: ChildProcess, output: () => string): PrometheusServer {
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`GET ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    dir,
    query: async (expr) => {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      return (await res.json()) as QueryResult;
    },
    targets: async () => (await api<{ activeTargets: PromTarget[] }>('/api/v1/targets')).activeTargets,
    rules: async () => (await api<{ groups: Array<{ rules: PromRule[] }> }>('/api/v1/rules')).groups.flatMap((g) => g.rules),
    alerts: async () => (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
    metricNames: () => api<string[]>('/api/v1/label/__name__/values'),
    output,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

