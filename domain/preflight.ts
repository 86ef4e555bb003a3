/**
 * The guide's "Security Checklist for Production" (33 items, 7 sections) as
 * pure rules: facts gathered elsewhere in, one verdict per item out. An item
 * Warden can check is `pass` or `fail` with a reason; one only a human can
 * confirm (hardware wallets, firewall, on-call) is `manual`, saying what to confirm.
 */
import type { Finding, FindingCode } from './key-audit';
import { escalationContact, type EscalationEntry, type RoutedChannel } from './severity';

export type PreflightStatus = 'pass' | 'fail' | 'manual';

export interface PreflightItem {
  section: string;
  item: string;
  status: PreflightStatus;
  reason: string;
}

export interface AccountKeyFacts {
  exchange: string;
  account: string;
  findings: Finding[];
  /** Key fingerprints; monitoring absent when no monitoring secret is stored. */
  keys?: { trading: string; monitoring?: string };
  /** The audit could not run (secret unreadable, venue unreachable, key rejected). */
  error?: string;
}

/** Something gathered from outside that may have failed to answer. */
export interface Probe {
  ok: boolean;
  error?: string;
}

export interface PreflightFacts {
  profile: 'paper' | 'production';
  secretsProvider: 'aws' | 'local-file';
  /** Names only (env var names, file paths, config field paths), never values. */
  plaintextSecrets: { environment: string[]; dotenvFiles: string[]; configFields: string[] };
  /** Each configured account's trading secret, read from the store. */
  secretReads: Array<{ secret: string; error?: string }>;
  rotation: { intervalDays: number; schedule: Probe & { found: boolean; workflowType?: string } };
  keys: AccountKeyFacts[];
  wallets: { configured: boolean; confirmers: number };
  connections: {
    temporalTls: boolean;
    temporalAddress: string;
    /** The TLS verdicts of optional stores; the URLs themselves may hold passwords, so they never come in. */
    database?: { tls: boolean; passwordInUrl: boolean };
    redis?: { tls: boolean; passwordInUrl: boolean };
    /** Remote endpoints the desk calls (exchanges, AWS, Telegram), by what they are. */
    endpoints: Array<{ what: string; url: string }>;
  };
  metrics: Probe & { url: string; deskMetrics: boolean };
  health: Probe & { url: string };
  telegram: { configured: boolean; chatId?: number; operatorIds: number[]; getMe?: Probe & { username?: string } };
  escalation: readonly EscalationEntry[];
  /** Alert channels configured beside the log, where CRITICAL alerts go, and (from `warden preflight`) a test alert's outcome per channel. */
  alerting: { channels: RoutedChannel[]; critical: RoutedChannel[]; test?: Array<{ channel: string; ok: boolean; error?: string }> };
  audit: {
    shipToS3: boolean;
    bucket: string;
    retentionDays: number;
    /** GetObjectLockConfiguration; absent when not asked (no shipping). */
    lock?: Probe & { enabled: boolean; mode?: string; days?: number; years?: number };
  };
  runbooks: string[];
}

export const SEVEN_YEARS_DAYS = 2555;
const ROTATION_MAX_DAYS = 90;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** postgres wants `sslmode=require` (or stricter); anything weaker lets the connection fall back to plaintext. */
export function databaseUrlRequiresTls(url: string): boolean {
  try {
    const mode = new URL(url).searchParams.get('sslmode');
    return mode === 'require' || mode === 'verify-ca' || mode === 'verify-full';
  } catch {
    return false;
  }
}

export function redisUrlRequiresTls(url: string): boolean {
  return /^rediss:\/\//i.test(url.trim());
}

export function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** A remote call is encrypted when it is https, or never leaves the host (an emulator, a sidecar). */
export function endpointIsEncrypted(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

const list = (xs: string[]) => xs.join('; ');
const clip = (s: string, max = 160) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

type Verdict = { status: 'pass' | 'fail'; reason: string };
const pass = (reason: string): Verdict => ({ status: 'pass', reason });
const fail = (reason: string): Verdict => ({ status: 'fail', reason });

/** Key-audit findings of some codes, across accounts, as `[binance/main] message` lines; audit errors first. */
function keyVerdict(f: PreflightFacts, codes: FindingCode[], okReason: (keys: number) => string): Verdict {
  if (f.keys.length === 0) return fail('no exchange accounts are configured, so no key was audited');
  // Clipped: the same error shows under several items, and a venue's error text can be long.
  const errors = f.keys.filter((k) => k.error).map((k) => `${k.exchange}/${k.account}: key audit could not run (${clip(k.error!)})`);
  if (errors.length) return fail(list(errors));
  const hits = f.keys.flatMap((k) => k.findings.filter((x) => codes.includes(x.code)).map((x) => `[${k.exchange}/${k.account}] ${x.message}`));
  if (hits.length) return fail(list(hits));
  const keys = f.keys.reduce((n, k) => n + 1 + (k.keys?.monitoring ? 1 : 0), 0);
  return pass(okReason(keys));
}

type Rule = { item: string } & ({ check: (f: PreflightFacts) => Verdict } | { manual: string });

/** The checklist in the guide's order and words. */
export const CHECKLIST: ReadonlyArray<{ section: string; items: Rule[] }> = [
  {
    section: 'Secrets Management',
    items: [
      {
        item: 'AWS Secrets Manager configured',
        check: (f) => {
          if (f.secretsProvider !== 'aws') return fail(`secrets.provider is ${f.secretsProvider}; production reads AWS Secrets Manager`);
          if (f.secretReads.length === 0) return fail('no exchange accounts are configured, so no secret was read');
          const bad = f.secretReads.filter((r) => r.error).map((r) => `${r.secret}: ${r.error}`);
          if (bad.length) return fail(`unreadable: ${list(bad)}`);
          return pass(`secrets.provider is aws; ${plural(f.secretReads.length, 'trading secret')} read from Secrets Manager`);
        },
      },
      {
        item: 'All secrets migrated from .env',
        check: (f) => {
          const found = [...f.plaintextSecrets.environment.map((n) => `environment variable ${n}`), ...f.plaintextSecrets.dotenvFiles.map((p) => `file ${p}`)];
          return found.length ? fail(`secrets must come from Secrets Manager, found: ${list(found)}`) : pass('no secret-looking environment variable and no .env file');
        },
      },
      {
        item: 'Secrets rotation schedule set (90 days)',
        check: (f) => {
          const s = f.rotation.schedule;
          if (!s.ok) return fail(`cannot read the Temporal schedule rotation-check: ${s.error ?? 'unreachable'}`);
          if (!s.found) return fail('no Temporal schedule rotation-check: run `warden schedules apply`');
          if (f.rotation.intervalDays > ROTATION_MAX_DAYS) return fail(`secrets.rotationDays is ${f.rotation.intervalDays}; the guide rotates every ${ROTATION_MAX_DAYS} days`);
          return pass(`schedule rotation-check runs ${s.workflowType ?? 'the rotation check'} daily; keys rotate after ${f.rotation.intervalDays} days`);
        },
      },
      { item: 'CloudHSM configured for cold wallets', manual: 'Cold wallet keys never touch Warden: confirm they are held in CloudHSM or hardware wallets.' },
      {
        item: 'No secrets in code or config files',
        check: (f) => {
          const found = [
            ...f.plaintextSecrets.configFields.map((p) => `config field ${p}`),
            ...(f.connections.database?.passwordInUrl ? ['databaseUrl carries a password'] : []),
            ...(f.connections.redis?.passwordInUrl ? ['redisUrl carries a password'] : []),
          ];
          return found.length ? fail(`move to Secrets Manager: ${list(found)}`) : pass('no secret-looking config field and no password in a connection URL');
        },
      },
    ],
  },
  {
    section: 'Exchange Security',
    items: [
      { item: 'API keys have NO withdrawal permissions', check: (f) => keyVerdict(f, ['withdraw_enabled'], (n) => `${plural(n, 'key')} audited at the venues: none can withdraw`) },
      { item: 'API keys have NO transfer permissions', check: (f) => keyVerdict(f, ['transfer_enabled'], (n) => `${plural(n, 'key')} audited at the venues: none can transfer`) },
      {
        item: 'IP whitelist configured (server IPs only)',
        check: (f) =>
          keyVerdict(f, ['no_ip_whitelist', 'wildcard_ip_whitelist', 'whitelist_mismatch'], (n) => `${plural(n, 'key')} audited: every whitelist is set, without wildcards, and matches its secret`),
      },
      {
        item: 'Daily withdrawal limit set to $0',
        manual: "The venues' key APIs do not report a withdrawal limit: set it to $0 in each exchange's security settings and confirm.",
      },
      {
        item: 'Separate keys for trading vs. monitoring',
        check: (f) => {
          const base = keyVerdict(f, ['shared_key', 'monitoring_can_trade'], () => '');
          if (base.status === 'fail') return base;
          const missing = f.keys.filter((k) => !k.keys?.monitoring).map((k) => `${k.exchange}/${k.account}`);
          if (missing.length) return fail(`no monitoring key stored for ${missing.join(', ')} (secret <prefix>/<exchange>/<account>/monitoring)`);
          return pass(`${plural(f.keys.length, 'account')}: the monitoring key is a different, read-only key`);
        },
      },
    ],
  },
  {
    section: 'Wallet Security',
    items: [
      { item: 'Cold wallet (80%) in hardware wallet', manual: 'Confirm the cold wallet (80% of funds) is on hardware wallets (Ledger, Trezor) in a safe, under 3-of-5 multi-signature.' },
      {
        item: 'Warm wallet (19%) on exchange, no withdrawal perms',
        check: (f) => keyVerdict(f, ['withdraw_enabled'], (n) => `the exchange (warm) wallets' ${plural(n, 'key')} cannot withdraw; the 19% split is kept by the rebalance procedure's tiers`),
      },
      { item: 'Hot wallet (1%) multi-sig configured', manual: 'Confirm the hot wallet is 3-of-5 multi-sig and the bot holds at most one key.' },
      {
        item: 'Bot NEVER has access to private keys',
        manual: 'Warden stores only exchange API keys and its gateway cannot withdraw: confirm no wallet private key or seed phrase is on the desk hosts or in its Secrets Manager prefix.',
      },
      {
        item: 'Manual rebalancing procedure documented',
        check: (f) => {
          if (!f.wallets.configured) return fail('wallets is not configured: a low balance cannot start the manual cold -> warm rebalance procedure');
          if (f.wallets.confirmers === 0) return fail('nobody may confirm a transfer: add telegram.operatorIds or wallets.cliOperators');
          return pass(`the rebalance workflow runs the guide's procedure; ${plural(f.wallets.confirmers, 'operator')} may confirm transfers`);
        },
      },
    ],
  },
  {
    section: 'Network Security',
    items: [
      { item: 'Firewall rules configured', manual: 'Confirm the host firewall denies inbound by default and allows only SSH from the bastion, HTTPS from the load balancer, and Redis/PostgreSQL from localhost.' },
      { item: 'SSH key-only authentication', manual: 'Confirm sshd has PermitRootLogin no, PasswordAuthentication no, PubkeyAuthentication yes and an AllowUsers list.' },
      { item: 'VPC with private subnets', manual: 'Confirm the desk runs in a private subnet behind NAT, with security groups as in the guide.' },
      {
        item: 'SSL/TLS for all connections',
        check: (f) => {
          const c = f.connections;
          const temporalLocal = isLoopbackHost(c.temporalAddress.replace(/:\d+$/, ''));
          const bad = [
            ...(!c.temporalTls && (f.profile === 'production' || !temporalLocal) ? ['temporal.tls.enabled is false'] : []),
            ...(c.database && !c.database.tls ? ['databaseUrl does not require TLS (add sslmode=require)'] : []),
            ...(c.redis && !c.redis.tls ? ['redisUrl is not rediss://'] : []),
            ...c.endpoints.filter((e) => !endpointIsEncrypted(e.url)).map((e) => `${e.what} is not https (${e.url})`),
          ];
          if (bad.length) return fail(list(bad));
          const stores = [c.database ? 'PostgreSQL' : '', c.redis ? 'Redis' : ''].filter(Boolean);
          const parts = [`Temporal ${c.temporalTls ? 'over TLS' : 'on loopback'}`, ...(stores.length ? [`${stores.join(' and ')} require TLS`] : []), ...(c.endpoints.length ? [`${plural(c.endpoints.length, 'endpoint')} https or loopback`] : [])];
          return pass(parts.join(', '));
        },
      },
      { item: 'Bastion host for SSH access', manual: 'Confirm SSH reaches the desk hosts only through the bastion.' },
    ],
  },
  {
    section: 'Monitoring',
    items: [
      {
        item: 'Prometheus metrics configured',
        check: (f) => {
          if (!f.metrics.ok) return fail(`${f.metrics.url} does not answer: ${f.metrics.error ?? 'no response'}`);
          return f.metrics.deskMetrics ? pass(`${f.metrics.url} serves the desk's trading_* metrics`) : fail(`${f.metrics.url} answers without the desk's trading_* metrics`);
        },
      },
      { item: 'Grafana dashboards created', manual: 'Provision ops/grafana/dashboards/warden.json in your Grafana and confirm its panels show data.' },
      {
        item: 'PagerDuty/alerting configured',
        check: (f) => {
          const a = f.alerting;
          if (a.channels.length === 0) return fail('alerts reach only the log: configure telegram, alerts.pagerduty or alerts.email');
          if (a.critical.length === 0) return fail(`alerts.routes.CRITICAL reaches none of the configured channels (${a.channels.join(', ')})`);
          const failed = (a.test ?? []).filter((t) => !t.ok);
          if (failed.length) return fail(`the test alert was not delivered on ${failed.map((t) => `${t.channel} (${t.error ?? 'failed'})`).join(', ')}`);
          const tested = a.test ? `; a test alert was delivered on ${a.test.map((t) => t.channel).join(', ')}` : '; run `warden preflight` (or `warden alerts test`) to deliver a test alert';
          return pass(`CRITICAL alerts go to ${a.critical.join(', ')}${tested}`);
        },
      },
      {
        item: 'Telegram alerts enabled',
        check: (f) => {
          const t = f.telegram;
          if (!t.configured) return fail('telegram is not configured (chatId and numeric operatorIds)');
          if (t.operatorIds.length === 0 || t.operatorIds.some((id) => !Number.isInteger(id) || id <= 0)) return fail('telegram.operatorIds must list numeric user ids');
          if (!t.getMe?.ok) return fail(`the bot does not answer getMe: ${t.getMe?.error ?? 'not checked'}`);
          return pass(`bot @${t.getMe.username ?? '?'} answers; chat ${t.chatId}; ${plural(t.operatorIds.length, 'operator')} by numeric id`);
        },
      },
      {
        item: 'Health checks running',
        check: (f) => (f.health.ok ? pass(`${f.health.url} answers`) : fail(`${f.health.url} does not answer: ${f.health.error ?? 'no response'} (is a worker running?)`)),
      },
    ],
  },
  {
    section: 'Audit Logging',
    items: [
      {
        item: 'S3 WORM bucket created',
        check: (f) => {
          const a = f.audit;
          if (!a.shipToS3) return fail('audit.shipToS3 is false: the trail stays in the local spool');
          if (!a.lock?.ok) return fail(`cannot read the Object Lock configuration of ${a.bucket}: ${a.lock?.error ?? 'not checked'}`);
          if (!a.lock.enabled) return fail(`bucket ${a.bucket} has no Object Lock (run \`warden audit init\` on a new bucket)`);
          if (a.lock.mode !== 'COMPLIANCE') return fail(`bucket ${a.bucket} default retention mode is ${a.lock.mode ?? 'unset'}, not COMPLIANCE`);
          return pass(`bucket ${a.bucket}: Object Lock with COMPLIANCE default retention`);
        },
      },
      {
        item: 'Audit logging enabled',
        check: (f) => {
          if (!f.audit.shipToS3) return fail('audit.shipToS3 is false: the trail is not shipped to the WORM bucket');
          return f.audit.lock?.ok ? pass(`the hash-chained trail ships to s3://${f.audit.bucket}`) : fail(`bucket ${f.audit.bucket} is unreachable: ${f.audit.lock?.error ?? 'not checked'}`);
        },
      },
      {
        item: 'Log retention policy set (7 years)',
        check: (f) => {
          const a = f.audit;
          if (a.retentionDays < SEVEN_YEARS_DAYS) return fail(`audit.retentionDays.audit is ${a.retentionDays}; 7 years is ${SEVEN_YEARS_DAYS}`);
          if (!a.shipToS3) return fail('audit.shipToS3 is false: no bucket enforces the retention');
          const days = a.lock?.days ?? (a.lock?.years !== undefined ? a.lock.years * 365 : undefined);
          if (!a.lock?.ok || days === undefined) return fail(`bucket ${a.bucket} has no default retention`);
          if (days < SEVEN_YEARS_DAYS) return fail(`bucket ${a.bucket} keeps objects ${days} days; 7 years is ${SEVEN_YEARS_DAYS}`);
          return pass(`bucket ${a.bucket} and the shipper keep audit objects ${days} days`);
        },
      },
      { item: 'Log monitoring configured', manual: 'Confirm someone watches the trail: run `warden audit verify` on a schedule and alert on a non-zero exit.' },
    ],
  },
  {
    section: 'Incident Response',
    items: [
      {
        item: 'Runbooks created',
        check: (f) => (f.runbooks.length ? pass(`${plural(f.runbooks.length, 'runbook')} in ops/runbooks`) : fail('no runbook found in ops/runbooks')),
      },
      {
        item: 'On-call rotation configured',
        check: (f) => {
          if (f.escalation.length === 0) return fail('alerts.escalation is empty: nobody is paged when an incident is not acknowledged');
          // Each person must be reachable on a channel the desk has: an email address without the email channel pages nobody.
          const contacts = f.escalation.map(escalationContact);
          const unreachable = contacts.filter((c) => !f.alerting.channels.some((ch) => c[ch] !== undefined));
          if (unreachable.length) return fail(`alerts.escalation: ${unreachable.map((c) => c.name).join(', ')} cannot be reached on a configured channel (${f.alerting.channels.join(', ') || 'none'})`);
          return pass(`unacknowledged incidents escalate to ${plural(contacts.length, 'contact')} (${contacts.map((c) => c.name).join(', ')}), each on a configured channel`);
        },
      },
      { item: 'Emergency stop procedure tested', manual: 'Run a drill: `warden stop` (or /stop) on a paper desk and confirm every open order is cancelled.' },
      { item: 'Incident response plan documented', manual: "Warden's incident workflow follows the guide's four phases; confirm your team's plan names who does what." },
    ],
  },
];

export function evaluatePreflight(facts: PreflightFacts): PreflightItem[] {
  return CHECKLIST.flatMap(({ section, items }) =>
    items.map((rule): PreflightItem => {
      if ('manual' in rule) return { section, item: rule.item, status: 'manual', reason: rule.manual };
      return { section, item: rule.item, ...rule.check(facts) };
    }),
  );
}

/** The automated items that fail: what keeps a production desk from trading. */
export function failingItems(items: PreflightItem[]): PreflightItem[] {
  return items.filter((i) => i.status === 'fail');
}
