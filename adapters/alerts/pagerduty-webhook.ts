import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { AuditRecorder } from '../audit/trail';
import type { Logger } from '../logger';
import { registerSecret, sanitize } from '../redact';
import { errorMessage } from '../../domain/error-message';

/**
 * PagerDuty's V3 webhook for the desk's incidents: an acknowledgement made on
 * PagerDuty (app, phone, Slack) acknowledges the incident workflow whose id is
 * the page's dedup key (`incident_key`). Every request is HMAC-verified
 * (X-PagerDuty-Signature, v1 = hex HMAC-SHA256 of the raw body with the
 * subscription's secret) before its body is even parsed; each outcome is audited.
 * Checked against PagerDuty's developer docs (docs/webhooks/01-Overview.md, 04-Signatures.md):
 * V3 puts the incident under `event.data` with its `incident_key`, which for an incident opened
 * by Events API v2 is the event's `dedup_key`; `X-PagerDuty-Signature` lists `v1=` HMAC-SHA256s.
 */
const WebhookBody = z.object({
  event: z.object({
    id: z.string(),
    event_type: z.string(),
    resource_type: z.string(),
    occurred_at: z.string(),
    agent: z.object({ id: z.string(), summary: z.string().optional(), type: z.string().optional() }).nullable().optional(),
    data: z.object({ id: z.string(), type: z.string(), incident_key: z.string().nullable().optional(), status: z.string().optional() }).loose(),
  }),
});

/** True when one of the header's `v1=` signatures is the body's HMAC (PagerDuty lists several while a secret rotates). */
export function verifyPagerDutySignature(raw: string, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(raw, 'utf8').digest('hex'));
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .some((s) => {
      const got = Buffer.from(s.slice(3));
      return got.length === want.length && timingSafeEqual(got, want);
    });
}

export interface PagerDutyWebhookOptions {
  host: string;
  port: number;
  /** The subscription's signing secret, from the secrets store. */
  secret: () => Promise<string>;
  /** Acknowledges a desk incident; rejects if there is no such open incident. */
  acknowledge: (incidentId: string, by: string) => Promise<void>;
  audit: AuditRecorder;
  logger: Logger;
}

export interface PagerDutyWebhookServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 256 * 1024;

export async function startPagerDutyWebhook(opts: PagerDutyWebhookOptions): Promise<PagerDutyWebhookServer> {
  const audit = (by: string, outcome: 'accepted' | 'refused' | 'failed', detail: string) =>
    opts.audit.record({ type: 'operator_command', actor: by, data: { operator: by, channel: 'pagerduty', command: 'pagerduty acknowledge', outcome, detail: sanitize(detail) } });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/pagerduty/webhook') return void res.writeHead(404).end();
    let raw = '';
    for await (const chunk of req) {
      raw += (chunk as Buffer).toString('utf8');
      if (raw.length > MAX_BODY) return void res.writeHead(413).end();
    }
    const secret = await opts.secret();
    registerSecret(secret);
    const signature = req.headers['x-pagerduty-signature'];
    if (!verifyPagerDutySignature(raw, Array.isArray(signature) ? signature.join(',') : signature, secret)) {
      await audit('pagerduty', 'refused', 'webhook signature missing or wrong');
      return void res.writeHead(401).end();
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return void res.writeHead(400).end();
    }
    const parsed = WebhookBody.safeParse(json);
    if (!parsed.success) return void res.writeHead(400).end();
    const { event } = parsed.data;
    // Other event types (triggered, resolved, annotated) change nothing on the desk: the desk closes its own incidents.
    if (event.event_type !== 'incident.acknowledged') return void res.writeHead(204).end();
    const key = event.data.incident_key;
    const by = `pd:${event.agent?.id ?? 'unknown'}`;
    if (!key?.startsWith('incident/')) {
      await audit(by, 'refused', `acknowledged PagerDuty incident ${event.data.id} is not a desk incident`);
      return void res.writeHead(204).end();
    }
    try {
      await opts.acknowledge(key, by);
      await audit(by, 'accepted', `${key} acknowledged on PagerDuty by ${event.agent?.summary ?? by} (event ${event.id})`);
      res.writeHead(204).end();
    } catch (err) {
      await audit(by, 'failed', `${key}: ${errorMessage(err)}`);
      // 5xx: PagerDuty retries the delivery.
      res.writeHead(503).end();
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger.error({ err: sanitize(String(err)) }, 'pagerduty webhook failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${opts.host}:${port}/pagerduty/webhook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
