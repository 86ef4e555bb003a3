import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import { tempDir } from './helpers/audit';
import { FAKE_ROUTING_KEY, startFakePagerDuty, type FakePagerDuty } from './helpers/fake-pagerduty';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram';
import { SMTP_PASSWORD, SMTP_USER, startSmtpServer, type SmtpServer } from './helpers/smtp-server';

const run = promisify(execFile);
const FORBID = join(import.meta.dirname, 'fixtures', 'forbid-worker-import.mjs');
const CHAT = -1001234500019;

/** The real CLI (compiled bundle), with worker imports forbidden: `alerts test` is a client command. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('node', ['--import', FORBID, 'bin/warden.js', ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

let tg: FakeTelegram;
let pd: FakePagerDuty;
let smtp: SmtpServer;
let config: string;
let stateDir: string;

beforeAll(async () => {
  [tg, pd, smtp] = await Promise.all([startFakeTelegram(), startFakePagerDuty(), startSmtpServer()]);
  const dir = tempDir('warden-alerts-cli-');
  stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    join(stateDir, PAPER_SECRETS_FILE),
    JSON.stringify({
      'warden/telegram/bot': { token: tg.token },
      'warden/pagerduty/events': { routing_key: FAKE_ROUTING_KEY },
      'warden/smtp/credentials': { username: SMTP_USER, password: SMTP_PASSWORD },
    }),
  );
  config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    stringify({
      profile: 'paper',
      desk: { name: 'alertscli', stateDir },
      secrets: { provider: 'local-file' },
      telegram: { chatId: CHAT, operatorIds: [1001], apiRoot: tg.apiRoot },
      alerts: {
        pagerduty: { apiUrl: pd.apiUrl, maxAttempts: 1 },
        email: { host: smtp.host, port: smtp.port, from: 'warden@desk.example.com', to: ['oncall@desk.example.com'], caFile: smtp.caFile, timeoutSeconds: 3 },
      },
    }),
  );
});
afterAll(async () => {
  await Promise.all([tg?.close(), pd?.close(), smtp?.stop()]);
});
beforeEach(() => {
  tg.reset();
  pd.reset();
});

describe('warden alerts test', () => {
  it('delivers a test alert on every configured channel and reports each outcome', async () => {
    const r = await cli(['--config', config, 'alerts', 'test']);
    expect(r.stderr).not.toContain('FORBIDDEN_IMPORT');
    expect(r.stdout.trim().split('\n')).toEqual(['ok     log', 'ok     telegram', 'ok     pagerduty', 'ok     email', 'delivered on all 4 channels']);
    expect(r.code).toBe(0);
    expect(tg.sentTo(CHAT)[0]).toMatch(/^ℹ️ INFO: Daily report: test alert from warden alerts test by cli:/);
    expect(pd.events()[0]).toMatchObject({ event_action: 'trigger', payload: { severity: 'info' } });
    // The test page does not stay open.
    expect(pd.events()[1]).toMatchObject({ event_action: 'resolve', dedup_key: pd.events()[0]!.dedup_key });
    expect(pd.state(pd.events()[0]!.dedup_key!)).toBe('resolved');
    await smtp.waitForMessage((m) => m.body.includes('test alert from warden alerts test'));
    // Audited in the CLI's own spool, one record per channel, no secret in it.
    const spool = readSpool();
    expect(spool.filter((e) => e.type === 'alert_delivery' && e.data.kind === 'test').map((e) => e.data.channel)).toEqual(['log', 'telegram', 'pagerduty', 'email']);
    for (const secret of [tg.token, FAKE_ROUTING_KEY, SMTP_PASSWORD]) {
      expect(JSON.stringify(spool)).not.toContain(secret);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });

  it('names the channel that failed and exits 1', async () => {
    pd.failNext(1, 503);
    await smtp.stop();
    try {
      const r = await cli(['--config', config, 'alerts', 'test']);
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(0, 2)).toEqual(['ok     log', 'ok     telegram']);
      expect(lines[2]).toMatch(/^FAILED pagerduty: pagerduty: alert .* not delivered: 503/);
      expect(lines[3]).toMatch(/^FAILED email: email: alert .* not delivered: .*ECONNREFUSED/);
      expect(lines[4]).toBe('2 of 4 channels failed');
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(SMTP_PASSWORD);
    } finally {
      await smtp.start();
    }
  });
});

function readSpool(): Array<{ type: string; data: Record<string, unknown> }> {
  const dir = join(stateDir, 'cli');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.jsonl')) files.push(join(d, e.name));
    }
  };
  walk(dir);
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> }));
}
