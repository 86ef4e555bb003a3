import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger';
import { sanitize, sanitizeDeep } from '../redact';
import { seal } from './chain';
import { AuditEventInputSchema, type AuditEvent, type AuditEventInput } from './events';
import { AuditSpool } from './spool';

/** Anything that records audit events; activities and adapters depend on this, not on the trail. */
export interface AuditRecorder {
  record(input: AuditEventInput): Promise<AuditEvent>;
}

/** Where shipped batches go (S3 with Object Lock in production). Returns the object key. */
export interface AuditShipper {
  ship(batch: AuditEvent[]): Promise<string>;
}

export interface AuditTrailOptions {
  dir: string;
  host?: string;
  now?: () => Date;
  shipper?: AuditShipper;
  logger?: Logger;
  /** Most events per shipped object. */
  batchMaxEvents?: number;
}

interface Pending {
  input: AuditEventInput;
  id: string;
  resolve: (e: AuditEvent) => void;
  reject: (err: unknown) => void;
}

/**
 * The audit trail: validated events, chained by hash, durable in the spool
 * before `record` resolves, shipped in batches when a shipper is configured.
 */
export class AuditTrail implements AuditRecorder {
  private queue: Pending[] = [];
  private flushing?: Promise<void>;
  private shipping?: Promise<number>;
  private timer?: NodeJS.Timeout;
  private readonly byId = new Map<string, AuditEvent>();
  private readonly inFlight = new Map<string, Promise<AuditEvent>>();
  private readonly host: string;
  private readonly now: () => Date;

  private constructor(
    private readonly spool: AuditSpool,
    private readonly opts: AuditTrailOptions,
  ) {
    this.host = opts.host ?? hostname();
    this.now = opts.now ?? (() => new Date());
    for (const e of spool.events) this.byId.set(e.id, e);
  }

  static async open(opts: AuditTrailOptions): Promise<AuditTrail> {
    return new AuditTrail(await AuditSpool.open(opts.dir), opts);
  }

  record(input: AuditEventInput): Promise<AuditEvent> {
    const parsed = AuditEventInputSchema.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return Promise.reject(new Error(`invalid audit event ${input.type}: ${problems}`));
    }
    const id = input.id ?? randomUUID();
    const existing = this.byId.get(id) ?? this.inFlight.get(id);
    if (existing) return Promise.resolve(existing);
    const promise = new Promise<AuditEvent>((resolve, reject) => {
      // Scrubbed before sealing: the trail is kept for years and must never hold a secret an error carried in.
      this.queue.push({ input: sanitizeDeep(parsed.data as AuditEventInput), id, resolve, reject });
    });
    this.inFlight.set(id, promise);
    void this.scheduleFlush();
    return promise;
  }

  /** Group commit: whoever arrives while a flush runs rides the next one. */
  private async scheduleFlush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flush(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    if (this.queue.length) void this.scheduleFlush();
  }

  private async flush(batch: Pending[]): Promise<void> {
    let { seq, hash } = this.spool.head;
    const sealed = batch.map((p) => {
      seq += 1;
      const event = seal({
        seq,
        id: p.id,
        time: p.input.time ?? this.now().toISOString(),
        type: p.input.type,
        actor: p.input.actor,
        host: this.host,
        data: p.input.data as Record<string, unknown>,
        prevHash: hash,
      });
      hash = event.hash;
      return event;
    });
    try {
      await this.spool.append(sealed);
      sealed.forEach((e, i) => {
        this.byId.set(e.id, e);
        this.inFlight.delete(e.id);
        batch[i]!.resolve(e);
      });
    } catch (err) {
      batch.forEach((p) => {
        this.inFlight.delete(p.id);
        p.reject(err);
      });
    }
  }

  /** Ships every unshipped event now; resolves with how many were shipped. Failures leave them spooled. */
  shipNow(): Promise<number> {
    this.shipping ??= this.shipPending().finally(() => {
      this.shipping = undefined;
    });
    return this.shipping;
  }

  private async shipPending(): Promise<number> {
    const shipper = this.opts.shipper;
    if (!shipper) return 0;
    const max = this.opts.batchMaxEvents ?? 1000;
    let shipped = 0;
    for (let pending = this.spool.unshipped(); pending.length; pending = this.spool.unshipped()) {
      const batch = pending.slice(0, max);
      await shipper.ship(batch);
      await this.spool.markShipped(batch[batch.length - 1]!.seq);
      shipped += batch.length;
    }
    return shipped;
  }

  /** Ships on an interval; a failed attempt is logged and retried on the next tick. */
  startShipping(intervalMs: number): void {
    if (this.timer || !this.opts.shipper) return;
    this.timer = setInterval(() => {
      this.shipNow().catch((err: unknown) =>
        this.opts.logger?.warn({ pending: this.pendingCount }, `audit shipping failed, events stay spooled: ${sanitize(String(err))}`),
      );
    }, intervalMs);
    this.timer.unref();
  }

  get pendingCount(): number {
    return this.spool.unshipped().length;
  }

  get head(): { seq: number; hash: string } {
    return this.spool.head;
  }

  /** Every event in the spool, oldest first (the paper profile's whole trail). */
  events(): readonly AuditEvent[] {
    return this.spool.events;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.flushing || this.queue.length) await (this.flushing ?? this.scheduleFlush());
    await this.shipping?.catch(() => undefined);
    await this.spool.close();
  }
}
