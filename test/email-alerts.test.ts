import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmailAlertChannel } from '../adapters/alerts/email';
import { AlertRouter, LogAlertChannel } from '../adapters/alerts/router';
import type { AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import { AwsSecretSource, LocalFileSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { EmailConfig } from '../config/schema';
import { makeAlert } from '../domain/severity';
import { incidentWorkflow } from '../workflows/incident';
import { openTempTrail, tempDir } from './helpers/audit';
import { motoClients } from './helpers/aws';
import { FAKE_ROUTING_KEY } from './helpers/fake-pagerduty';
import { FAKE_BOT_TOKEN } from './helpers/fake-telegram';
import { SMTP_PASSWORD, SMTP_USER, startSmtpServer, type SmtpServer } from './helpers/smtp-server';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';

let smtp: SmtpServer;
let trail: AuditTrail;
let logs: string[];

const secrets = (password = SMTP_PASSWORD) => ({ getSmtpCredentials: async () => ({ username: SMTP_USER, password }) });
const config = (over: Partial<EmailConfig> = {}) =>
  EmailConfig.parse({ host: smtp.host, port: smtp.port, from: 'warden@desk.example.com', to: ['oncall@desk.example.com', 'cto@desk.example.com'], caFile: smtp.caFile, timeoutSeconds: 3, ...over });
const channel = (over: Partial<EmailConfig> = {}, password?: string) => new EmailAlertChannel({ secrets: secrets(password), config: config(over) });

const breaker = (at = '2025-01-15T14:00:00.000Z') =>
  makeAlert('circuit_breaker_triggered', { message: 'binance/main: 5 failures in a row', at, scope: { exchange: 'binance', account: 'main' } });

function logger() {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  return createLogger({ level: 'debug', destination: stream });
}

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.stop();
});
beforeEach(async () => {
  logs = [];
  trail = await openTempTrail();
});
afterEach(async () => {
  for (const secret of [SMTP_PASSWORD, FAKE_ROUTING_KEY, FAKE_BOT_TOKEN]) {
    expect(logs.join('')).not.toContain(secret);
    expect(JSON.stringify(trail.events())).not.toContain(secret);
  }
  await trail.close();
});

describe('email channel over SMTP + STARTTLS (aiosmtpd on loopback)', () => {
  it('delivers after STARTTLS and AUTH, to every recipient, and the message carries no secret', async () => {
    const log = logger();
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel()], audit: trail, logger: log });
    const a = breaker();
    expect(await router.route(a, 'test')).toEqual({ delivered: ['log', 'email'], failed: [], suppressed: false });
    const mail = await smtp.waitForMessage((m) => m.body.includes(a.at));
    expect(mail).toMatchObject({ from: 'warden@desk.example.com', to: ['oncall@desk.example.com', 'cto@desk.example.com'], tls: true, authenticated: true });
    expect(mail.subject).toBe('[Warden] CRITICAL: Circuit breaker triggered');
    expect(mail.body).toContain('🚨 CRITICAL: Circuit breaker triggered: binance/main: 5 failures in a row');
    expect(mail.body).toContain('Incident: incident/circuit_breaker_triggered:binance/main (acknowledge with: warden incident ack');
    for (const secret of [SMTP_PASSWORD, SMTP_USER, FAKE_ROUTING_KEY, FAKE_BOT_TOKEN]) {
      expect(mail.data).not.toContain(secret);
      expect(mail.body).not.toContain(secret);
    }
    expect(trail.events().filter((e) => e.type === 'alert_delivery').map((e) => [e.data.channel, e.data.outcome])).toEqual([
      ['log', 'delivered'],
      ['email', 'delivered'],
    ]);
  });

  it('verifies the server certificate: without the CA the delivery fails', async () => {
    const err = (await channel({ caFile: undefined }).deliver('x', breaker()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/email: alert .* not delivered: .*self[- ]signed certificate/i);
  });

  it('a rejected login fails with the server reply, never the password', async () => {
    const wrong = 'Wr0ng-password-for-warden-tests-000';
    const err = (await channel({}, wrong).deliver('x', breaker()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not delivered: .*535/);
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(SMTP_PASSWORD);
  });

  it('a relay outage fails only the email channel, fast; the retry after it returns sends email only', async () => {
    await smtp.stop();
    const log = logger();
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel()], audit: trail, logger: log });
    const a = breaker('2025-01-15T15:00:00.000Z');
    const started = Date.now();
    expect(await router.route(a, 'test')).toMatchObject({ delivered: ['log'], failed: ['email'] });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(trail.events().find((e) => e.type === 'alert_delivery' && e.data.channel === 'email')?.data).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/ECONNREFUSED/) });
    await smtp.start();
    expect(await router.route(a, 'test')).toMatchObject({ delivered: ['email'], failed: [] });
    await smtp.waitForMessage((m) => m.body.includes('2025-01-15T15:00:00.000Z'));
  });

  it('a relay that accepts and never answers fails within the timeout, and holds no other channel', async () => {
    const sockets: Socket[] = [];
    const hang: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as { port: number }).port;
    try {
      const log = logger();
      const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel({ port, timeoutSeconds: 1 })], audit: trail, logger: log });
      const started = Date.now();
      expect(await router.route(breaker(), 'test')).toMatchObject({ delivered: ['log'], failed: ['email'] });
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => hang.close(r));
    }
  });

  it('reads <prefix>/smtp/credentials from the paper file and from Secrets Manager', async () => {
    const dir = tempDir('warden-smtp-secrets-');
    writeFileSync(join(dir, 'paper-secrets.json'), JSON.stringify({ 'warden/smtp/credentials': { username: SMTP_USER, password: SMTP_PASSWORD } }));
    const paper = new CachedSecretsStore({ source: new LocalFileSecretSource(join(dir, 'paper-secrets.json'), 'paper'), prefix: 'warden', ttlSeconds: 60, audit: trail, accessedBy: 'test' });
    expect(await paper.getSmtpCredentials()).toEqual({ username: SMTP_USER, password: SMTP_PASSWORD });
    const { secrets: sm } = motoClients();
    await sm.send(new CreateSecretCommand({ Name: 'mail1/smtp/credentials', SecretString: JSON.stringify({ username: SMTP_USER, password: SMTP_PASSWORD }) }));
    const aws = new CachedSecretsStore({ source: new AwsSecretSource(sm), prefix: 'mail1', ttlSeconds: 60, audit: trail, accessedBy: 'test' });
    const ch = new EmailAlertChannel({ secrets: aws, config: config() });
    await ch.deliver('🚨 CRITICAL: via Secrets Manager', breaker('2025-01-15T16:00:00.000Z'));
    await smtp.waitForMessage((m) => m.body.includes('via Secrets Manager'));
  });
});

describe('durable retry through Temporal', () => {
  let t: TemporalHarness;
  let workerTrail: AuditTrail;

  beforeAll(async () => {
    t = await temporalHarness();
    workerTrail = await openTempTrail();
    const log = createLogger({ level: 'silent' });
    const router = new AlertRouter({ channels: [new LogAlertChannel(log), channel()], audit: workerTrail, logger: log });
    await t.startWorker({ alerts: router, audit: workerTrail });
  });
  afterAll(async () => {
    await t?.close();
    await workerTrail?.close();
  });

  it('an alert raised while the relay is down arrives once it is back, the log copy sent once', async () => {
    await smtp.stop();
    const id = `incident/mail-${Date.now()}`;
    await t.client.workflow.start(incidentWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: id,
      args: [{ cause: id, severity: 'SEV-4', summary: 'mail outage drill', sessions: [], declaredBy: 'test', ackTimeoutSeconds: 600 }],
    });
    const failed = () => workerTrail.events().filter((e) => e.type === 'alert_delivery' && e.data.channel === 'email' && e.data.outcome === 'failed').length;
    const deadline = Date.now() + 20_000;
    while (failed() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(failed()).toBeGreaterThanOrEqual(2);
    await smtp.start();
    await smtp.waitForMessage((m) => m.body.includes(id), 40_000);
    const logCopies = workerTrail.events().filter((e) => e.type === 'alert_delivery' && e.data.channel === 'log');
    expect(logCopies).toHaveLength(1);
  });
});
