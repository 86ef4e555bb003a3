/**
 * A loopback fake of PagerDuty's Events API v2 (POST /v2/enqueue). It checks
 * each request against the documented schema, written out here independently
 * of the channel so a drift on either side fails a test, answers 202/400 like
 * PagerDuty, 429 (with Retry-After) or 5xx on demand, and keeps each dedup
 * key's incident state (triggered -> acknowledged -> resolved).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/** A routing key shaped like PagerDuty's 32-character integration keys. */
export const FAKE_ROUTING_KEY = 'R0ut1ngKeyF0rWardenTests00000001';

const Trigger = z
  .object({
    routing_key: z.string().length(32),
    event_action: z.literal('trigger'),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: z
      .object({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info']),
        timestamp: z.iso.datetime({ offset: true }).optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    client: z.string().optional(),
    client_url: z.url().optional(),
    links: z.array(z.object({ href: z.url(), text: z.string().optional() })).optional(),
    images: z.array(z.object({ src: z.url(), href: z.url().optional(), alt: z.string().optional() })).optional(),
  })
  .strict();
const AckOrResolve = z
  .object({ routing_key: z.string().length(32), event_action: z.enum(['acknowledge', 'resolve']), dedup_key: z.string().min(1).max(255) })
  .strict();
export const PagerDutyEventSchema = z.discriminatedUnion('event_action', [Trigger, AckOrResolve]);
export type ReceivedEvent = z.infer<typeof PagerDutyEventSchema>;

export interface RecordedRequest {
  /** The raw JSON body as sent. */
  raw: string;
  /** Set when the body matched the schema. */
  event?: ReceivedEvent;
  status: number;
}

export type IncidentState = 'triggered' | 'acknowledged' | 'resolved';

export interface FakePagerDuty {
  apiUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** Accepted events, in arrival order. */
  events(): ReceivedEvent[];
  state(dedupKey: string): IncidentState | undefined;
  /** The next `count` requests answer `status` (429 carries Retry-After: `retryAfter` seconds when given). */
  failNext(count: number, status: number, retryAfter?: number): void;
  waitForEvent(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakePagerDuty(opts: { routingKey?: string } = {}): Promise<FakePagerDuty> {
  const routingKey = opts.routingKey ?? FAKE_ROUTING_KEY;
  const requests: RecordedRequest[] = [];
  const states = new Map<string, IncidentState>();
  const failures: Array<{ status: number; retryAfter?: number }> = [];
  let seq = 0;

  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const record = (status: number, event?: ReceivedEvent) => requests.push({ raw, status, ...(event ? { event } : {}) });
    if (req.method !== 'POST' || req.url !== '/v2/enqueue') {
      record(404);
      return answer(res, 404, { status: 'not found' });
    }
    const failure = failures.shift();
    if (failure) {
      record(failure.status);
      return answer(res, failure.status, { status: 'throttled', message: 'Requests for this service are arriving too quickly' }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
    }
    if (!/^application\/json/.test(req.headers['content-type'] ?? '')) {
      record(400);
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Content-Type must be application/json'] });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      record(400);
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Malformed JSON'] });
    }
    const parsed = PagerDutyEventSchema.safeParse(json);
    if (!parsed.success) {
      record(400);
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    }
    const event = parsed.data;
    if (event.routing_key !== routingKey) {
      // PagerDuty accepts the event and drops it for an unknown integration; the fake is stricter so a test sees it.
      record(400);
      return answer(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Unknown routing key'] });
    }
    const dedupKey = event.dedup_key ?? `fake-${++seq}`;
    const now = states.get(dedupKey);
    if (event.event_action === 'trigger') {
      if (now === undefined || now === 'resolved') states.set(dedupKey, 'triggered');
    } else if (now !== undefined && now !== 'resolved') {
      states.set(dedupKey, event.event_action === 'acknowledge' ? 'acknowledged' : 'resolved');
    }
    record(202, event);
    return answer(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakePagerDuty = {
    apiUrl: `http://127.0.0.1:${port}`,
    requests,
    events: () => requests.flatMap((r) => (r.event ? [r.event] : [])),
    state: (k) => states.get(k),
    failNext(count, status, retryAfter) {
      for (let i = 0; i < count; i++) failures.push({ status, ...(retryAfter !== undefined ? { retryAfter } : {}) });
    },
    async waitForEvent(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = fake.events().find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`fake PagerDuty: no matching event in ${timeoutMs} ms; got ${JSON.stringify(fake.events().map((e) => [e.event_action, e.dedup_key]))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
      states.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
