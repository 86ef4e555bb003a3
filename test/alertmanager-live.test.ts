import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../adapters/free-port';
import { createMetrics, startMetricsServer, type DeskMetrics, type MetricsServer } from '../adapters/metrics';
import { startAlertmanager, type AlertmanagerServer, type AmAlert } from './helpers/alertmanager';
import { FAKE_ROUTING_KEY, startFakePagerDuty, type FakePagerDuty, type ReceivedEvent } from './helpers/fake-pagerduty';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus';
import { SMTP_PASSWORD, SMTP_USER, startSmtpServer, type ReceivedMail, type SmtpServer } from './helpers/smtp-server';
import { waitFor } from './helpers/wait';

/**
 * Issue 18 item 4: one rule fired end to end. The desk's real /metrics (createMetrics +
 * startMetricsServer) is scraped by a real Prometheus running the repo's rules, which alerts a
 * real Alertmanager running ops/alertmanager/alertmanager.yml, which pages the PagerDuty Events
 * v2 fake and mails the aiosmtpd relay (STARTTLS + AUTH). No process is mocked; every wait
 * polls a condition.
 */
const root = join(import.meta.dirname, '..');
const RULES = 'ops/prometheus/rules/warden.rules.yml';
const AM_CONFIG = 'ops/alertmanager/alertmanager.yml';
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/**
 * The temp copy of the rules differs from the repo's in the `for:` of these two rules only:
 * WardenWorkerDown waits 1m and WardenMarginHealthLow 2m, too long for a test kept under a
 * minute, and every child of the worker-down inhibition has a `for:` of 2m or more. The
 * critical rule this file pages with (WardenCircuitBreakerOpen) has no `for:` and runs as
 * written.
 */
const FOR_REWRITES: Record<string, string> = { WardenWorkerDown: '0s', WardenMarginHealthLow: '0s' };

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert: string; for?: string }> }>;
}

/** Paths at which two parsed YAML values differ (a small structural diff, to pin what a temp copy changed). */
function changedPaths(a: unknown, b: unknown, at = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

interface AmConfig {
  global: Record<string, unknown>;
  route: { group_wait?: string; group_interval?: string; routes?: Array<{ group_wait?: string; group_interval?: string }> };
  receivers: Array<{ name: string; pagerduty_configs?: Array<Record<string, unknown>> }>;
}

/**
 * ops/alertmanager/alertmanager.yml with its outside endpoints pointed at the loopback fakes
 * (the relay, the PagerDuty URL, and the two secret files it reads) and its grouping delays
 * shortened: group_wait 30s/10s and group_interval 5m are how long Alertmanager holds a new
 * group before its first notification, longer than this whole test may take. Routes, matchers,
 * receivers, templates and inhibition are the repo's, untouched (the test checks that).
 */
function liveAmConfig(original: AmConfig, ep: { smarthost: string; pagerdutyUrl: string; smtpPasswordFile: string; routingKeyFile: string }): AmConfig {
  const c = structuredClone(original);
  c.global.smtp_smarthost = ep.smarthost;
  c.global.smtp_auth_password_file = ep.smtpPasswordFile;
  const pd = c.receivers.find((r) => r.name === 'pagerduty-and-email')!.pagerduty_configs![0]!;
  pd.routing_key_file = ep.routingKeyFile;
  pd.url = ep.pagerdutyUrl;
  for (const r of [c.route, ...(c.route.routes ?? [])]) {
    if (r.group_wait) r.group_wait = '1s';
    if (r.group_interval) r.group_interval = '2s';
  }
  return c;
}

const BAD = { exchange: 'binance', account: 'main' };
const GOOD = { exchange: 'okx', account: 'alt' };

/** binance/main with its circuit breaker open (and nothing else wrong), okx/alt healthy. */
function exportDeskState(metrics: DeskMetrics): void {
  for (const [labels, open] of [
    [BAD, 1],
    [GOOD, 0],
  ] as const) {
    metrics.dailyPnlPct.set(labels, 0.4);
    metrics.drawdownPct.set(labels, 2);
    metrics.marginHealth.set(labels, 80);
    metrics.breakerOpen.set(labels, open);
    metrics.portfolioValue.set(labels, 100_000);
  }
}

describe('live: a rule through Prometheus and Alertmanager into PagerDuty and email', () => {
  let dir: string | undefined;
  let pd: FakePagerDuty | undefined;
  let smtp: SmtpServer | undefined;
  let am: AlertmanagerServer | undefined;
  let prom: PrometheusServer | undefined;
  let server: MetricsServer | undefined;
  let metrics: DeskMetrics | undefined;
  let amConfig: AmConfig | undefined;
  let rulesCopy: RuleFile | undefined;
  let deadWorker = '';
  let started = 0;

  // A setup failure (no prometheus-alertmanager, say) fails every test with its message instead of skipping them.
  let setupError: unknown;
  const live = () => {
    if (setupError) throw setupError;
    return { pd: pd!, smtp: smtp!, am: am!, prom: prom!, metrics: metrics! };
  };
  const diagnostics = () =>
    `\n--- fake PagerDuty requests: ${JSON.stringify(pd?.requests.map((r) => [r.status, r.raw.slice(0, 300)]))}` +
    `\n--- SMTP subjects: ${JSON.stringify(smtp?.messages.map((m) => m.subject))}\n--- alertmanager: ${am?.output() ?? ''}\n--- prometheus: ${prom?.output() ?? ''}`;

  const pdEvent = (what: string, match: (e: ReceivedEvent) => boolean) =>
    waitFor(async () => live().pd.events().find(match), (e) => e !== undefined, 30_000, `${what}${diagnostics()}`).then((e) => e!);
  const mail = (what: string, match: (m: ReceivedMail) => boolean) =>
    waitFor(async () => live().smtp.messages.find(match), (m) => m !== undefined, 30_000, `${what}${diagnostics()}`).then((m) => m!);
  const amAlert = (what: string, match: (a: AmAlert) => boolean) =>
    waitFor(async () => (await live().am.alerts()).find(match), (a) => a !== undefined, 30_000, `${what}${diagnostics()}`).then((a) => a!);

  beforeAll(async () => {
    started = Date.now();
    try {
      dir = mkdtempSync(join(tmpdir(), 'warden-am-live-'));
      [pd, smtp] = await Promise.all([startFakePagerDuty(), startSmtpServer()]);

      const routingKeyFile = join(dir, 'pagerduty-routing-key');
      const smtpPasswordFile = join(dir, 'smtp-password');
      writeFileSync(routingKeyFile, FAKE_ROUTING_KEY, { mode: 0o600 });
      writeFileSync(smtpPasswordFile, SMTP_PASSWORD, { mode: 0o600 });
      amConfig = liveAmConfig(parse(read(AM_CONFIG)) as AmConfig, {
        smarthost: `${smtp.host}:${smtp.port}`,
        pagerdutyUrl: `${pd.apiUrl}/v2/enqueue`,
        smtpPasswordFile,
        routingKeyFile,
      });
      // The relay's certificate is self-signed for this run: Go's TLS reads its roots from
      // SSL_CERT_FILE, so the config keeps smtp_require_tls and needs no tls_config of its own.
      am = await startAlertmanager({ config: stringify(amConfig), env: { SSL_CERT_FILE: smtp.caFile } });

      metrics = createMetrics();
      exportDeskState(metrics);
      server = await startMetricsServer(metrics, { host: '127.0.0.1', port: 0 });

      rulesCopy = parse(read(RULES)) as RuleFile;
      for (const r of rulesCopy.groups.flatMap((g) => g.rules)) if (FOR_REWRITES[r.alert]) r.for = FOR_REWRITES[r.alert];
      const rulesFile = join(dir, 'warden.rules.yml');
      writeFileSync(rulesFile, stringify(rulesCopy));

      // A second worker target on a port nothing listens on: a dead worker, for the inhibition test.
      deadWorker = `127.0.0.1:${await freePort()}`;
      // startPrometheus scrapes and evaluates every second (ops/prometheus.yml says 15s).
      prom = await startPrometheus({ jobs: { 'warden-worker': [new URL(server.url).host, deadWorker] }, ruleFiles: [rulesFile], alertmanagers: [am.hostPort] });
    } catch (err) {
      setupError = err;
    }
  });

  afterAll(async () => {
    // Each stop ends only the child it spawned, by its PID.
    await prom?.stop();
    await am?.stop();
    await server?.close();
    await smtp?.stop();
    await pd?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.error(`alertmanager-live: ${((Date.now() - started) / 1000).toFixed(1)} s from setup to teardown`);
  });

  it('runs the repo configs: the rules copy changes only two `for:`, the Alertmanager copy only endpoints, secret files and delays', () => {
    live();
    expect(changedPaths(parse(read(RULES)), rulesCopy).sort()).toEqual(
      rulesCopy!.groups.flatMap((g, gi) => g.rules.flatMap((r, ri) => (FOR_REWRITES[r.alert] ? [`groups.${gi}.rules.${ri}.for`] : []))).sort(),
    );
    expect(changedPaths(parse(read(AM_CONFIG)), amConfig).sort()).toEqual(
      [
        'global.smtp_smarthost',
        'global.smtp_auth_password_file',
        'route.group_wait',
        'route.group_interval',
        'route.routes.0.group_wait',
        'receivers.1.pagerduty_configs.0.routing_key_file',
        'receivers.1.pagerduty_configs.0.url',
      ].sort(),
    );
  });

  it('a CRITICAL rule (WardenCircuitBreakerOpen, no `for:`) pages PagerDuty through Events v2 and mails on-call', async () => {
    const { pd } = live();
    const page = await pdEvent('a page for WardenCircuitBreakerOpen', (e) => e.event_action === 'trigger' && e.payload.class === 'WardenCircuitBreakerOpen');
    if (page.event_action !== 'trigger') throw new Error('unreachable');
    expect(page.routing_key).toBe(FAKE_ROUTING_KEY);
    // Alertmanager's dedup key is the SHA-256 of the group key: one incident per rule and scope.
    expect(page.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    expect(page.payload).toMatchObject({ severity: 'critical', class: 'WardenCircuitBreakerOpen', component: 'binance/main', group: 'prometheus' });
    expect(page.payload.summary).toContain('[FIRING:1] WardenCircuitBreakerOpen');
    expect(pd.state(page.dedup_key!)).toBe('triggered');
    // Every trigger met the Events v2 schema and the routing key (the fake answers 400 otherwise).
    // Triggers only: Alertmanager also sends payload and client on a resolve, which the fake's strict
    // resolve schema refuses; nothing resolves in this test unless a scrape of the live worker fails.
    const triggers = pd.requests.filter((r) => /"event_action":"trigger"/.test(r.raw));
    expect(triggers.length).toBeGreaterThan(0);
    expect(triggers.filter((r) => r.status !== 202), diagnostics()).toEqual([]);

    const m = await mail('an email for WardenCircuitBreakerOpen', (x) => x.subject.includes('WardenCircuitBreakerOpen'));
    expect(m.subject).toMatch(/^\[FIRING:1\] WardenCircuitBreakerOpen /);
    expect(m).toMatchObject({ from: 'warden-alerts@example.com', to: ['oncall@example.com'], tls: true, authenticated: true });
    expect(m.body).toContain('Circuit breaker open for binance/main');
    expect(m.body).toContain('ops/runbooks/circuit-breaker-open.md');
    expect(m.data).toContain(`From: warden-alerts@example.com`);
    expect(m.data).not.toContain(SMTP_PASSWORD);
    // The relay authenticated the config's own smtp_auth_username, with the password from the secret file.
    expect(amConfig!.global.smtp_auth_username).toBe(SMTP_USER);
  });

  it('a dead worker pages, and inhibits its derived warning while an unrelated warning is mailed (mail only)', async () => {
    const { pd, am, metrics } = live();
    const down = await pdEvent('a page for WardenWorkerDown', (e) => e.event_action === 'trigger' && e.payload.class === 'WardenWorkerDown' && e.payload.component === deadWorker);
    if (down.event_action !== 'trigger') throw new Error('unreachable');
    expect(down.payload).toMatchObject({ severity: 'critical', component: deadWorker });
    const source = await amAlert('WardenWorkerDown active in Alertmanager', (a) => a.labels.alertname === 'WardenWorkerDown' && a.labels.instance === deadWorker && a.status.state === 'active');

    // Only now does binance/main enter the margin warning band (30-40%), so the child reaches
    // Alertmanager while its inhibitor fires: it must never notify. The refused operator
    // message is a warning no inhibition covers, mailed through the same route.
    metrics.marginHealth.set(BAD, 35);
    metrics.unauthorizedAttempts.inc({ channel: 'telegram' });

    const child = await amAlert('WardenMarginHealthLow inhibited', (a) => a.labels.alertname === 'WardenMarginHealthLow' && a.status.state === 'suppressed');
    expect(child.labels).toMatchObject({ ...BAD, severity: 'warning' });
    expect(child.status.inhibitedBy).toContain(source.fingerprint);
    expect(child.status.silencedBy).toEqual([]);

    const warning = await mail('an email for WardenUnauthorizedOperatorAccess', (x) => x.subject.includes('WardenUnauthorizedOperatorAccess'));
    expect(warning.subject).toMatch(/^\[FIRING:1\] WardenUnauthorizedOperatorAccess /);
    expect(warning.body).toContain('Unauthorized operator access attempt via telegram');
    expect(pd.events().filter((e) => e.event_action === 'trigger' && e.payload.severity !== 'critical')).toEqual([]);

    // The inhibited child reached neither channel; nor did the healthy account.
    const { smtp } = live();
    expect(smtp.messages.filter((x) => /WardenMarginHealthLow|okx/.test(x.subject))).toEqual([]);
    expect(pd.events().filter((e) => e.event_action === 'trigger' && /WardenMarginHealthLow|okx/.test(`${e.payload.class ?? ''} ${e.payload.component ?? ''}`))).toEqual([]);
    // The worker-down page went by mail too (critical: PagerDuty and email).
    await mail('an email for WardenWorkerDown', (x) => x.subject.includes('WardenWorkerDown'));
  });
});
