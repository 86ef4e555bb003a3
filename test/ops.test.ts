import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createLogger } from '../adapters/logger';
import { createMetrics, startMetricsServer, type DeskMetrics, type MetricsServer } from '../adapters/metrics';
import { AlertsConfig, RiskConfig } from '../config/schema';
import { installRuntime } from '../workers/runtime';
import { stopDeskUpdate } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import { promtool, requireBinary, startPrometheus, waitFor, type PrometheusServer } from './helpers/prometheus';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

const root = join(import.meta.dirname, '..');
const RULES = 'ops/prometheus/rules/warden.rules.yml';
const RULE_TESTS = 'ops/prometheus/tests/warden.rules.test.yml';
const PROM_CONFIG = 'ops/prometheus/prometheus.yml';
const DASHBOARD = 'ops/grafana/dashboards/warden.json';
const RUNBOOKS = 'ops/runbooks';
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alertRules = (parse(read(RULES)) as { groups: Array<{ name: string; rules: AlertRule[] }> }).groups.flatMap((g) => g.rules);
const rule = (name: string): AlertRule => {
  const found = alertRules.find((r) => r.alert === name);
  if (!found) throw new Error(`no alert ${name} in ${RULES}`);
  return found;
};

/**
 * The seed's alert table (section 5) plus its risk and system limits. Critical: respond
 * at once; warning: within an hour. A new alert must be added here with a deliberate severity.
 */
const SEVERITY: Record<string, 'critical' | 'warning' | 'info'> = {
  WardenCircuitBreakerOpen: 'critical',
  WardenDailyLossLimitHit: 'critical',
  WardenFailoverOccurred: 'critical',
  WardenMaxDrawdownExceeded: 'critical',
  WardenMarginHealthCritical: 'critical',
  WardenWorkerDown: 'critical',
  // A refused operator message is a security event, not an emergency (issue 13).
  WardenUnauthorizedOperatorAccess: 'warning',
  WardenMarginHealthLow: 'warning',
  WardenOrderLatencyHigh: 'warning',
  WardenExchangeErrorRateHigh: 'warning',
  WardenFillRateLow: 'warning',
  WardenHostCpuHigh: 'warning',
  WardenHostMemoryHigh: 'warning',
  WardenHostDiskLow: 'warning',
};

describe('Prometheus alerting rules', () => {
  it('promtool check rules accepts every rule', () => {
    const res = promtool(['check', 'rules', RULES], root);
    expect(res.output).toContain(`SUCCESS: ${alertRules.length} rules found`);
    expect(res.status, res.output).toBe(0);
  });

  it('promtool test rules passes the unit tests', () => {
    const res = promtool(['test', 'rules', RULE_TESTS], root);
    expect(res.output).not.toContain('FAILED');
    expect(res.output).toContain('SUCCESS');
    expect(res.status, res.output).toBe(0);
  });

  it('every alert has a firing and a non-firing unit test', () => {
    interface Case {
      alertname: string;
      exp_alerts?: unknown[];
    }
    const file = parse(read(RULE_TESTS)) as { rule_files: string[]; tests: Array<{ alert_rule_test?: Case[] }> };
    expect(file.rule_files.map((f) => relative(root, resolve(dirname(join(root, RULE_TESTS)), f)))).toEqual([RULES]);
    const cases = file.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of alertRules) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert}: no test where it fires`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert}: no test where it stays quiet`).toBe(true);
    }
    // And no test for an alert that does not exist (a renamed alert would otherwise pass vacuously).
    expect(cases.filter((c) => !alertRules.some((r) => r.alert === c.alertname)).map((c) => c.alertname)).toEqual([]);
  });

  it("mirrors the seed's alert table: one severity each, a summary, a description and a runbook", () => {
    expect(alertRules.map((r) => r.alert).sort()).toEqual(Object.keys(SEVERITY).sort());
    for (const r of alertRules) {
      expect(r.labels?.severity, r.alert).toBe(SEVERITY[r.alert]);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      expect(r.annotations?.response_time, r.alert).toBe(
        SEVERITY[r.alert] === 'critical' ? (r.alert === 'WardenFailoverOccurred' ? 'immediate (< 15 min)' : 'immediate (< 5 min)') : '1 hour',
      );
      expect(r.annotations?.runbook_url, r.alert).toMatch(/^ops\/runbooks\/[a-z0-9-]+\.md$/);
    }
  });

  it("uses the desk's own default limits as thresholds", () => {
    const risk = RiskConfig.parse({});
    const alerts = AlertsConfig.parse({});
    expect(rule('WardenDailyLossLimitHit').expr).toContain(`trading_daily_pnl_percent <= -${risk.dailyLossLimitPct}`);
    expect(rule('WardenMaxDrawdownExceeded').expr).toContain(`trading_drawdown_percent >= ${risk.maxDrawdownPct}`);
    expect(rule('WardenMarginHealthCritical').expr).toContain(`trading_margin_health_percent < ${risk.marginHealthBufferPct}`);
    expect(rule('WardenMarginHealthLow').expr).toContain(`trading_margin_health_percent < ${alerts.marginHealthWarnPct}`);
    expect(rule('WardenMarginHealthLow').expr).toContain(`trading_margin_health_percent >= ${risk.marginHealthBufferPct}`);
    expect(rule('WardenOrderLatencyHigh').expr).toMatch(new RegExp(`> ${alerts.latencyWarnMs / 1000}$`));
  });
});

describe('ops/prometheus/prometheus.yml', () => {
  it('passes promtool check config, rule files included', () => {
    const res = promtool(['check', 'config', PROM_CONFIG], root);
    expect(res.status, res.output).toBe(0);
    expect(res.output).toContain(`SUCCESS: ${PROM_CONFIG} is valid prometheus config file syntax`);
    // rule_files resolve relative to the config: promtool must have found and checked our rules.
    expect(res.output).toContain(`Checking ${RULES}`);
    expect(res.output).toContain(`SUCCESS: ${alertRules.length} rules found`);
  });

  it('scrapes the worker as job warden-worker', () => {
    const config = parse(read(PROM_CONFIG)) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
    const worker = config.scrape_configs.find((s) => s.job_name === 'warden-worker');
    expect(worker?.static_configs.flatMap((c) => c.targets)).toEqual(['warden-worker:9464']);
  });
});

describe('runbooks', () => {
  const runbooks = readdirSync(join(root, RUNBOOKS)).filter((f) => f.endsWith('.md') && f !== 'README.md');
  const seedPhases = ['phase-1-detection-0-5-minutes', 'phase-2-containment-5-15-minutes', 'phase-3-investigation-15-minutes---2-hours'];

  it("every rule's runbook_url exists and every runbook is some rule's", () => {
    const linked = alertRules.map((r) => r.annotations?.runbook_url ?? '');
    for (const url of linked) expect(existsSync(join(root, url)), `${url} is missing`).toBe(true);
    expect(runbooks.map((f) => `${RUNBOOKS}/${f}`).sort()).toEqual([...new Set(linked)].sort());
    expect(new Set(linked).size, 'two alerts share a runbook').toBe(linked.length);
  });

  for (const r of alertRules) {
    it(`${r.alert}: its runbook names it and says how to stop, confirm and declare`, () => {
      const text = read(r.annotations!.runbook_url!);
      // Title: the alert, its severity and the seed's response time, e.g. "(critical, respond < 5 min)".
      const respond = r.annotations!.response_time!.replace(/^immediate \((.+)\)$/, '$1');
      expect(text.split('\n')[0]).toBe(`# ${r.alert} (${r.labels!.severity}, respond ${respond.startsWith('<') ? respond : `within ${respond}`})`);
      expect(text).toMatch(/## First 5 minutes/);
      expect(text).toMatch(/## Confirm/);
      expect(text).toMatch(/`warden stop --reason "[^"]+"`/);
      expect(text).toContain('Telegram `/stop`');
      expect(text).toMatch(/`warden incident declare --severity SEV-[1-4] --summary "[^"]+"`/);
      for (const phase of seedPhases) expect(text, `${r.alert}: no link to ${phase}`).toContain(`production-security-guide.md#${phase}`);
    });
  }

  it('the index lists every alert with its runbook', () => {
    const index = read(`${RUNBOOKS}/README.md`);
    for (const r of alertRules) {
      expect(index).toContain(`| ${r.alert} | ${r.labels!.severity} |`);
      expect(index).toContain(`](${r.annotations!.runbook_url!.replace(`${RUNBOOKS}/`, '')})`);
    }
  });

  it('every relative link resolves, anchors into the seed included', () => {
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-');
    const anchorsOf = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
    for (const file of [...runbooks, 'README.md']) {
      const from = join(root, RUNBOOKS, file);
      for (const [, target] of readFileSync(from, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const abs = resolve(dirname(from), path!);
        expect(existsSync(abs), `${file}: broken link ${target}`).toBe(true);
        if (anchor) expect(anchorsOf(abs).has(anchor), `${file}: no heading for #${anchor} in ${path}`).toBe(true);
      }
    }
  });
});

/** Sets what a desk in trouble on binance/main and healthy on okx/alt would export. */
function exportDeskState(metrics: DeskMetrics): void {
  const bad = { exchange: 'binance', account: 'main' };
  const good = { exchange: 'okx', account: 'alt' };
  for (const [labels, pnl, drawdown, margin, open, value] of [
    [bad, -6.5, 21, 25, 1, 93_500],
    [good, 1.2, 3, 80, 0, 50_600],
  ] as const) {
    metrics.dailyPnlPct.set(labels, pnl);
    metrics.drawdownPct.set(labels, drawdown);
    metrics.marginHealth.set(labels, margin);
    metrics.breakerOpen.set(labels, open);
    metrics.portfolioValue.set(labels, value);
  }
  metrics.ordersPlaced.inc({ exchange: 'binance', symbol: 'BTC/USDT' }, 20);
  metrics.ordersFilled.inc({ exchange: 'binance', symbol: 'BTC/USDT' }, 19);
  // The books of one session's fills (activities/trading.ts recordFills).
  metrics.realizedPnl.set(bad, -12.5);
  metrics.unrealizedPnl.set(bad, 4.25);
  metrics.feesPaid.inc(bad, 3.2);
  metrics.fillRate.set(bad, 0.95);
  for (const s of [0.05, 0.12, 0.3]) metrics.orderLatency.observe({ exchange: 'binance' }, s);
  metrics.exchangeRequests.inc({ exchange: 'binance' }, 200);
  metrics.exchangeErrors.inc({ exchange: 'binance', kind: 'network' }, 1);
  metrics.failovers.inc(bad);
  metrics.unauthorizedAttempts.inc({ channel: 'telegram' });
}

/** Grafana's own variables, replaced the way Grafana would before the query reaches Prometheus. */
const grafanaVars = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');

/** Panels whose series exist only after an event this test does not cause, and why. */
const MAY_BE_EMPTY: Record<string, string> = {
  temporal_activity_execution_failed: 'the Temporal SDK exports it only once an activity has failed',
};

describe('live: a real Prometheus scraping the worker /metrics', () => {
  let prom: PrometheusServer | undefined;
  let server: MetricsServer | undefined;
  let t: TemporalHarness | undefined;

  const dashboard = JSON.parse(read(DASHBOARD)) as {
    panels: Array<{ id: number; title: string; datasource?: { uid?: string }; targets?: Array<{ expr: string; datasource?: { uid?: string } }> }>;
  };
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p, target })));

  // A setup failure (say, no prometheus binary) fails every live test with its message instead of skipping them.
  let setupError: unknown;
  const live = () => {
    if (setupError) throw setupError;
    return { prom: prom!, server: server! };
  };

  beforeAll(async () => {
    try {
      requireBinary('prometheus');
      // The real worker endpoint: the desk's registry plus the Temporal SDK's metrics, after a real workflow ran.
      const { temporalMetricsUrl } = await installRuntime(createLogger({ level: 'silent' }));
      const metrics = createMetrics();
      server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0, temporalMetricsUrl });
      t = await temporalHarness();
      await t.startWorker({ metrics });
      const desk = await t.client.workflow.start(deskWorkflow, {
        taskQueue: t.taskQueue,
        workflowId: `desk/ops-${t.taskQueue}`,
        args: [{ desk: 'ops', profile: 'paper', heartbeatSeconds: 3600 }],
      });
      await desk.executeUpdate(stopDeskUpdate, { args: [{ by: 'ops-test', reason: 'done' }] });
      await desk.result();
      exportDeskState(metrics);

      prom = await startPrometheus({ jobs: { 'warden-worker': [new URL(server.url).host] }, ruleFiles: [join(root, RULES)] });
      // Readiness: the target has been scraped successfully at least twice (rate() needs two samples).
      await waitFor('Prometheus to scrape the worker twice', async () => {
        const res = await prom!.query('count_over_time(up{job="warden-worker"}[5m]) >= 2 and up{job="warden-worker"} == 1');
        return res.data?.result.length ? true : undefined;
      });
    } catch (err) {
      setupError = err;
    }
  });

  afterAll(async () => {
    await prom?.stop();
    await server?.close();
    await t?.close();
  });

  it('reports the worker target up, scraping the metrics server', async () => {
    const { prom, server } = live();
    const targets = await prom.targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ scrapePool: 'warden-worker', scrapeUrl: server.url, health: 'up', lastError: '' });
  });

  it('every dashboard panel uses the provisioned Prometheus datasource', () => {
    for (const panel of dashboard.panels) expect(panel.targets?.length, `panel "${panel.title}" has no query`).toBeGreaterThan(0);
    for (const { panel, target } of queries) {
      expect(panel.datasource?.uid, panel.title).toBe('prometheus');
      expect(target.datasource?.uid, panel.title).toBe('prometheus');
    }
  });

  it('every metric a panel reads is a real series the worker exports', async () => {
    const { prom } = live();
    const names = new Set(await prom.metricNames());
    for (const { panel, target } of queries) {
      const unquoted = target.expr.replace(/"[^"]*"/g, '""');
      for (const [name] of unquoted.matchAll(/\b(?:trading|warden|temporal|node)_[a-zA-Z0-9_]+|\bup\b|\bALERTS\b/g)) {
        if (MAY_BE_EMPTY[name]) continue;
        expect(names.has(name), `panel "${panel.title}" reads ${name}, which Prometheus never scraped`).toBe(true);
      }
    }
  });

  it('every dashboard panel query is valid PromQL with data behind it', async () => {
    const { prom } = live();
    // ALERTS appears once the rules have evaluated over the scraped series.
    await waitFor('a firing alert', async () => ((await prom.alerts()).some((a) => a.state === 'firing') ? true : undefined));
    for (const { panel, target } of queries) {
      const res = await prom.query(grafanaVars(target.expr));
      expect(res.status, `panel "${panel.title}": ${res.errorType ?? ''} ${res.error ?? ''}`).toBe('success');
      const optional = Object.keys(MAY_BE_EMPTY).some((name) => target.expr.includes(name));
      if (!optional) expect(res.data?.result.length, `panel "${panel.title}" returned no series for ${target.expr}`).toBeGreaterThan(0);
    }
  });

  it('panels show the values the worker exported', async () => {
    const { prom } = live();
    const values = async (expr: string) => {
      const res = await prom.query(expr);
      expect(res.status, `${expr}: ${res.error ?? ''}`).toBe('success');
      return Object.fromEntries(res.data!.result.map((s) => [`${s.metric.exchange ?? ''}/${s.metric.account ?? ''}`, Number(s.value[1])]));
    };
    const panelExpr = (title: string) => queries.find((q) => q.panel.title === title)!.target.expr;
    expect(await values(panelExpr('Daily P&L %'))).toEqual({ 'binance/main': -6.5, 'okx/alt': 1.2 });
    expect(await values(panelExpr('Drawdown %'))).toEqual({ 'binance/main': 21, 'okx/alt': 3 });
    expect(await values(panelExpr('Circuit breakers'))).toEqual({ 'binance/main': 1, 'okx/alt': 0 });
    expect(await values(panelExpr('Portfolio value'))).toEqual({ 'binance/main': 93_500, 'okx/alt': 50_600 });
    expect(await values(panelExpr('Workers up'))).toEqual({ '/': 1 });
  });

  it("the rules evaluate cleanly on the worker's real series, and the breached limits fire", async () => {
    const { prom } = live();
    const rules = await waitFor('every rule evaluated', async () => {
      const all = await prom.rules();
      return all.length === alertRules.length && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    for (const r of rules) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');

    const expected = [
      ['WardenDailyLossLimitHit', { exchange: 'binance', account: 'main' }],
      ['WardenMaxDrawdownExceeded', { exchange: 'binance', account: 'main' }],
      ['WardenMarginHealthCritical', { exchange: 'binance', account: 'main' }],
      ['WardenCircuitBreakerOpen', { exchange: 'binance', account: 'main' }],
      ['WardenFailoverOccurred', { exchange: 'binance', account: 'main' }],
      ['WardenUnauthorizedOperatorAccess', { channel: 'telegram' }],
    ] as const;
    const firing = await waitFor('the breached limits to fire', async () => {
      const alerts = (await prom.alerts()).filter((a) => a.state === 'firing');
      return expected.every(([name]) => alerts.some((a) => a.labels.alertname === name)) ? alerts : undefined;
    });
    for (const [name, labels] of expected) {
      const alert = firing.find((a) => a.labels.alertname === name)!;
      expect(alert.labels, name).toMatchObject({ ...labels, severity: SEVERITY[name], job: 'warden-worker' });
      expect(alert.annotations.runbook_url).toBe(rule(name).annotations!.runbook_url);
    }
    expect(firing.find((a) => a.labels.alertname === 'WardenDailyLossLimitHit')!.annotations.summary).toBe('Daily loss limit hit on binance/main');
    // The healthy account and the live worker stay quiet.
    expect(firing.filter((a) => a.labels.exchange === 'okx')).toEqual([]);
    expect(firing.filter((a) => a.labels.alertname === 'WardenWorkerDown')).toEqual([]);
  });
});
