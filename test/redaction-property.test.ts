import { Writable } from 'node:stream';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramAlertChannel, scrubOutgoing } from '../adapters/alerts/telegram';
import { createLogger } from '../adapters/logger';
import { forgetRegisteredSecrets, registerSecret, sanitize, SUBSTRING_MIN } from '../adapters/redact';
import { CachedSecretsStore, type SecretSource } from '../adapters/secrets/store';
import { renderIncidentReport } from '../activities/incident-report';
import { makeAlert } from '../domain/severity';
import { mulberry32, type Rng } from '../simulator/prng';
import { credentialInventoryWorkflow } from '../workflows/credential-inventory';
import type { IncidentStatus } from '../contracts/incident';
import { openTempTrail, tempDir } from './helpers/audit';
import { startFakeTelegram, type FakeTelegram } from './helpers/fake-telegram';
import { historyText } from './helpers/history';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

/**
 * Redaction by construction (issue 13 item 6): seeded secrets of every length,
 * written in every form, pushed through every path that records text; none of
 * them may be found afterwards. The seed is fixed so a failure reproduces.
 */
const SEED = 0x5eed13;
const CASES = 40;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SPECIALS = '-_.~+/=!*:@$&%# ';
const pick = (rng: Rng, s: string) => s[Math.floor(rng() * s.length)]!;

/** Lengths 1-5 (the short ones a substring scrub would skip) a third of the time, else 6-80; specials sometimes. */
function genSecret(rng: Rng): string {
  const len = rng() < 0.35 ? 1 + Math.floor(rng() * 5) : 6 + Math.floor(rng() * 75);
  const specials = rng() < 0.4;
  let s = '';
  for (let i = 0; i < len; i++) s += specials && rng() < 0.2 ? pick(rng, SPECIALS) : pick(rng, ALPHABET);
  // A leading or trailing space is trimmed by some writers; keep the test about redaction.
  return s.trim() || pick(rng, ALPHABET);
}

/** A credential the store never handed out, as it shows on the wire: only the patterns can catch it. */
function genWireToken(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 16 + Math.floor(rng() * 48); i++) s += pick(rng, `${ALPHABET}-_.~`);
  return s;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Every form a registered secret is written in, inside the contexts errors and operators put them in. */
function registeredForms(s: string, rng: Rng): string[] {
  const pad = 'xyz'.slice(0, Math.floor(rng() * 3));
  return [
    `raw ${s} end`,
    `url-encoded ${encodeURIComponent(s)} end`,
    `form-encoded q=${encodeURIComponent(s).replace(/%20/g, '+')}&x=1`,
    `base64 ${b64(s)} end`,
    `base64url ${b64url(s)} end`,
    `json {"note":${JSON.stringify(s)}}`,
    `embedded base64 ${b64(`${pad}{"k":"${s}"}`)} end`,
    `basic auth Authorization: Basic ${b64(`user:${s}`)}`,
    `unquoted secret=${s} password=${s} token=${s}`,
    `userinfo postgres://warden:${encodeURIComponent(s)}@db.internal:5432/warden`,
  ];
}

/** Wire shapes carrying a credential nobody registered. */
function wireForms(w: string): string[] {
  return [
    `GET https://warden-audit.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${w}%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${w}&X-Amz-Security-Token=${w}`,
    `headers {"Authorization": "Bearer ${w}"}`,
    `Authorization: Bearer ${w}`,
    `secret=${w} password=${w} token=${w}`,
    `https://${w}:${w}@api.binance.com/api/v3/order`,
    `redis://default:${w}@cache:6379`,
  ];
}

interface Case {
  secrets: string[];
  wire: string;
  text: string;
}

function genCases(): Case[] {
  const rng = mulberry32(SEED);
  const cases: Case[] = [];
  for (let i = 0; i < CASES; i++) {
    const secrets = [genSecret(rng), genSecret(rng), genSecret(rng)];
    const wire = genWireToken(rng);
    const text = [...secrets.flatMap((s) => registeredForms(s, rng)), ...wireForms(wire)].join('\n');
    cases.push({ secrets, wire, text });
  }
  return cases;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Found as the machinery would leak it: anywhere for longer forms, as a whole token for short ones. */
function found(text: string, form: string): boolean {
  if (!form) return false;
  if (form.length >= SUBSTRING_MIN) return text.includes(form);
  return new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`).test(text);
}

/** Decodes every base64/base64url run at each character offset, to find a secret inside an encoded blob independently of the scrubber. */
function decodedRuns(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}={0,2}/g) ?? []) {
    for (let off = 0; off < 4; off++) {
      const part = run.slice(off);
      out.push(Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'));
    }
  }
  return out;
}

/** What of a case is still in `text`: each form of each secret, the wire token, and secrets hidden in base64. */
function leaks(text: string, c: Case, background: string): string[] {
  const hits: string[] = [];
  for (const s of c.secrets) {
    const forms = [s, encodeURIComponent(s), b64(s), b64(s).replace(/=+$/, ''), b64url(s), JSON.stringify(s).slice(1, -1)];
    // A short token the surrounding machinery prints anyway (a level number, a field name) is not a leak of it.
    for (const f of forms) if (found(text, f) && !found(background, f)) hits.push(`${JSON.stringify(s)} as ${JSON.stringify(f)}`);
    if (s.length >= SUBSTRING_MIN && decodedRuns(text).some((d) => d.includes(s))) hits.push(`${JSON.stringify(s)} inside base64`);
  }
  if (text.includes(c.wire)) hits.push(`wire token ${c.wire}`);
  return hits;
}

/** The same text with every secret replaced: what the path prints around them. */
const backgroundOf = (c: Case) => c.text.split('\n').map((l) => l.replace(/\S+/g, (w) => (/^[a-z-]+$/i.test(w) ? w : '\u00a7'))).join('\n');

describe('redaction by construction: generated secrets in every form, through every path (issue 13 item 6)', () => {
  const cases = genCases();
  beforeAll(() => {
    // As the secrets store does with every value it hands out.
    forgetRegisteredSecrets();
    for (const c of cases) for (const s of c.secrets) registerSecret(s);
  });

  it('covers short secrets, specials and every length class', () => {
    const all = cases.flatMap((c) => c.secrets);
    expect(all.some((s) => s.length < SUBSTRING_MIN)).toBe(true);
    expect(all.some((s) => s.length === 1)).toBe(true);
    expect(all.some((s) => s.length > 40)).toBe(true);
    expect(all.some((s) => /[^A-Za-z0-9]/.test(s))).toBe(true);
  });

  it('sanitize leaves none of them (the unit every path shares)', () => {
    for (const c of cases) expect(leaks(sanitize(c.text), c, sanitize(backgroundOf(c)))).toEqual([]);
  });

  it('logs: messages, string fields and errors through pino', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }) });
    for (const c of cases) {
      lines.length = 0;
      logger.error({ detail: c.text, nested: { deeper: [c.text] }, err: new Error(c.text) }, c.text);
      logger.warn(c.text);
      const out = lines.join('');
      lines.length = 0;
      logger.error({ detail: backgroundOf(c), err: new Error(backgroundOf(c)) }, backgroundOf(c));
      expect(leaks(out, c, lines.join(''))).toEqual([]);
    }
  });

  describe('Telegram messages', () => {
    let tg: FakeTelegram;
    beforeAll(async () => {
      tg = await startFakeTelegram();
    });
    afterAll(async () => tg?.close());

    it('operator bot replies pass the same transformer: text scrubbed, keyboards untouched', async () => {
      const keyboard = { inline_keyboard: [[{ text: 'Confirm', callback_data: 'resume:confirm:1' }]] };
      for (const c of cases) {
        let sent: Record<string, unknown> = {};
        const prev = ((_method: string, payload: Record<string, unknown>) => {
          sent = payload;
          return Promise.resolve({ ok: true as const, result: true });
        }) as unknown as Parameters<typeof scrubOutgoing>[0];
        await scrubOutgoing(prev, 'sendMessage', { chat_id: 1, text: c.text, reply_markup: keyboard }, undefined);
        expect(leaks(String(sent.text), c, sanitize(backgroundOf(c)))).toEqual([]);
        expect(sent.reply_markup).toBe(keyboard);
      }
    });

    it('alerts leave the desk scrubbed, whatever the message carried', async () => {
      const channel = createTelegramAlertChannel({ getTelegramToken: () => Promise.resolve(tg.token) }, { chatId: 555, apiRoot: tg.apiRoot });
      for (const c of cases.slice(0, 10)) {
        const alert = makeAlert('high_latency', { message: c.text, at: '2025-01-15T00:00:00.000Z' });
        await channel.deliver(c.text, alert);
      }
      const sent = tg.sentTo(555);
      expect(sent).toHaveLength(10);
      cases.slice(0, 10).forEach((c, i) => expect(leaks(sent[i]!, c, sanitize(backgroundOf(c)))).toEqual([]));
    });
  });

  it('audit events: scrubbed before they are sealed and spooled', async () => {
    /** A trail holding each case's text, and one holding its background: the same structure, fields and keys. */
    const write = async (text: (c: Case) => string) => {
      const dir = tempDir('warden-redact-audit-');
      const trail = await openTempTrail(undefined, dir);
      for (const [i, c] of cases.entries()) {
        await trail.record({ id: `redact-${i}`, type: 'session_event', actor: 'test', data: { session: 'okx/main', event: 'failed', detail: text(c) } });
      }
      const disk = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      return `${JSON.stringify(trail.events())}\n${disk}`;
    };
    const recorded = await write((c) => c.text);
    const background = await write(backgroundOf);
    expect(recorded).toContain('[REDACTED]');
    for (const c of cases) expect(leaks(recorded, c, background)).toEqual([]);
  });

  it('incident reports: summary, timeline and findings scrubbed before the WORM store', () => {
    for (const c of cases) {
      const st: IncidentStatus = {
        id: 'incident/test',
        severity: 'SEV-2',
        phase: 'closed',
        summary: c.text,
        openedAt: '2025-01-15T00:00:00.000Z',
        cause: 'high_latency',
        triggers: 1,
        timeline: [{ at: '2025-01-15T00:00:00.000Z', phase: 'detection', event: c.text }],
        findings: { by: 'op-1', findings: c.text, rootCause: c.text, keysCompromised: true, actions: [c.text], lessons: c.text },
      };
      const bgStatus: IncidentStatus = { ...st, summary: backgroundOf(c), timeline: [], findings: { by: 'op-1', findings: '', rootCause: '', keysCompromised: true } };
      expect(leaks(renderIncidentReport(st, '2025-01-15T01:00:00.000Z'), c, renderIncidentReport(bgStatus, '2025-01-15T01:00:00.000Z'))).toEqual([]);
    }
  });

  describe('activity failures recorded in workflow history (a real worker on the dev server)', () => {
    let t: TemporalHarness;
    beforeAll(async () => {
      t = await temporalHarness();
    });
    afterAll(async () => t?.close());

    it('a failure message carrying every form of the secrets the store handed out reaches history scrubbed', async () => {
      const batch = cases.slice(0, 12);
      const handedOut = batch.map((c) => c.secrets);
      /** Serves the batch's secrets as credentials, and fails `leaky` with an error text quoting all of them. */
      const source: SecretSource = {
        kind: 'aws',
        fetch(name) {
          const m = /^warden\/okx\/k(\d+)\/trading$/.exec(name);
          if (m) {
            const [api_key, secret, passphrase] = handedOut[Number(m[1])]!;
            const permissions = { read: true, trade: true, withdraw: false, transfer: false };
            return Promise.resolve({ text: JSON.stringify({ api_key, secret, passphrase, permissions, ip_whitelist: ['127.0.0.1'], created_at: '2025-01-15T00:00:00Z' }) });
          }
          const err = new Error(`venue said: ${batch.map((c) => c.text).join('\n')}`);
          err.name = 'SecretNotFoundError'; // not retried: one failure, recorded once
          return Promise.reject(err);
        },
      };
      forgetRegisteredSecrets();
      const audit = await openTempTrail();
      const secrets = new CachedSecretsStore({ source, prefix: 'warden', ttlSeconds: 60, audit, accessedBy: 'redact-worker' });
      // The store hands every secret out (and so registers it) before the failure quotes them.
      for (let i = 0; i < batch.length; i++) await secrets.getExchangeCredentials('okx', `k${i}`, 'trading');
      await t.startWorker({ audit, secrets });
      const handle = await t.client.workflow.start(credentialInventoryWorkflow, {
        taskQueue: t.taskQueue,
        workflowId: `redact-inventory-${t.taskQueue}`,
        args: [{ accounts: [{ exchange: 'okx', account: 'leaky', purposes: ['trading'] }], requestedBy: 'op-1' }],
      });
      await expect(handle.result()).rejects.toThrow();
      const history = await historyText(handle);
      expect(history).toContain('venue said:');
      expect(history).toContain('[REDACTED]');
      // The failure text as recorded: its message field, JSON-decoded.
      const messages = [...history.matchAll(/"message":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string).filter((m) => m.includes('venue said:'));
      expect(messages.length).toBeGreaterThan(0);
      for (const c of batch) {
        const bg = sanitize(`venue said: ${backgroundOf(c)}`);
        for (const m of messages) expect(leaks(m, c, bg)).toEqual([]);
        // And nowhere else in history, in any form long enough to find by substring.
        for (const s of c.secrets.filter((x) => x.length >= SUBSTRING_MIN)) expect(history.includes(s) || history.includes(b64(s))).toBe(false);
      }
      expect(JSON.stringify(audit.events())).not.toContain('venue said:');
    });
  });
});
