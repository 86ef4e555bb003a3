import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../logger';
import { sanitize, sanitizeDeep } from '../redact';
import { seal } from './chain';
import { AuditEventInputSchema, type AuditEvent, type AuditEventInput } from './events';
import { AuditKeyConflictError } from './s3-shipper';
import { AuditSpool, type WriterRole } from './spool';
import { errorMessage } from '../../domain/error-message';

/** Anything that records audit events; activities and adapters depend on this, not on the trail. */
export interface AuditRecorder {
  record(input: AuditEventInput): Promise<AuditEvent>;
}

/** Where shipped batches go (S3 with Object Lock in production), under the writer's own chain. Returns the object key. */
export interface AuditShipper {
  ship(batch: AuditEvent[], writer: string): Promise<string>;
}

/**
 * What the trail reports when shipping goes wrong: an outage past the threshold
 * (once per outage), a key holding other content (every time: it is an alarm),
 * and the recovery of an outage it reported.
 */
export type ShippingTrouble =
  | { kind: 'outage'; writer: string; failures: number; sinceMs: number; unshipped: number; error: string }
  | { kind: 'conflict'; writer: string; key: string; unshipped: number; error: string }
  | { kind: 'recovered'; writer: string; failures: number; sinceMs: number };

/** The trail's shipping state, for metrics. */
export interface ShippingStatus {
  unshipped: number;
  /** Seconds since the oldest unshipped event's time; 0 when none. */
  oldestUnshippedSeconds: number;
  consecutiveFailures: number;
  keyConflicts: number;
}

export interface AuditTrailOptions {
  dir: string;
  host?: string;
  now?: () => Date;
  shipper?: AuditShipper;
  logger?: Logger;
  /** Most events per shipped object. */
  batchMaxEvents?: number;
  /** Which kind of process writes this chain; the spool's writer id starts with it. */
  role?: WriterRole;
  onShippingTrouble?: (trouble: ShippingTrouble) => void;
  /** An outage is reported after this many consecutive failed attempts... */
  troubleAfterFailures?: number;
  /** ...or once it has lasted this long, whichever comes first. */
  troubleAfterMs?: number;
  compactAfterShipped?: number;
  keepShipped?: number;
  /** Most events (and retry ids) held in memory; unset keeps all (paper). */
  maxInMemory?: number;
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
  private failures = 0;
  private failingSince?: number;
  private outageReported = false;
  private keyConflicts = 0;

  private constructor(
    private readonly spool: AuditSpool,
    private readonly opts: AuditTrailOptions,
  ) {
    this.host = opts.host ?? hostname();
    this.now = opts.now ?? (() => new Date());
    for (const e of spool.events) this.byId.set(e.id, e);
  }

  static async open(opts: AuditTrailOptions): Promise<AuditTrail> {
    const spool = await AuditSpool.open(opts.dir, {
      role: opts.role,
      compactAfterShipped: opts.compactAfterShipped,
      keepShipped: opts.keepShipped,
      maxInMemory: opts.maxInMemory,
    });
    return new AuditTrail(spool, opts);
  }

  /** This chain's writer id (role, host and a random id kept in the spool directory). */
  get writer(): string {
    return this.spool.writer;
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
        // Retry ids are kept for the events memory holds: a retry comes within minutes, not 20,000 events later.
        if (this.opts.maxInMemory !== undefined && this.byId.size > this.opts.maxInMemory) this.byId.delete(this.byId.keys().next().value!);
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
    try {
      for (let batch = await this.spool.unshippedBatch(max); batch.length; batch = await this.spool.unshippedBatch(max)) {
        await shipper.ship(batch, this.spool.writer);
        await this.spool.markShipped(batch[batch.length - 1]!.seq);
        shipped += batch.length;
      }
    } catch (err) {
      this.noteFailure(err);
      throw err;
    }
    this.noteSuccess();
    return shipped;
  }

  private noteFailure(err: unknown): void {
    const now = this.now().getTime();
    this.failures += 1;
    this.failingSince ??= now;
    const error = sanitize(errorMessage(err)).slice(0, 300);
    const base = { writer: this.spool.writer, unshipped: this.pendingCount, error };
    if (err instanceof AuditKeyConflictError) {
      this.keyConflicts += 1;
      this.report({ kind: 'conflict', key: err.key, ...base });
      return;
    }
    const sinceMs = now - this.failingSince;
    if (!this.outageReported && (this.failures >= (this.opts.troubleAfterFailures ?? 3) || sinceMs >= (this.opts.troubleAfterMs ?? 5 * 60_000))) {
      this.outageReported = true;
      this.report({ kind: 'outage', failures: this.failures, sinceMs, ...base });
    }
  }

  private noteSuccess(): void {
    if (this.outageReported && this.failingSince !== undefined) {
      this.report({ kind: 'recovered', writer: this.spool.writer, failures: this.failures, sinceMs: this.now().getTime() - this.failingSince });
    }
    this.failures = 0;
    this.failingSince = undefined;
    this.outageReported = false;
  }

  /** A throwing callback must not turn a shipping failure into a different one. */
  private report(trouble: ShippingTrouble): void {
    try {
      this.opts.onShippingTrouble?.(trouble);
    } catch (err) {
      this.opts.logger?.warn({ err }, 'audit shipping trouble callback failed');
    }
  }

  shippingStatus(): ShippingStatus {
    const oldest = this.spool.oldestUnshippedTime;
    const age = oldest ? Math.max(0, (this.now().getTime() - Date.parse(oldest)) / 1000) : 0;
    return { unshipped: this.pendingCount, oldestUnshippedSeconds: age, consecutiveFailures: this.failures, keyConflicts: this.keyConflicts };
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
    return this.spool.unshippedCount;
  }

  get head(): { seq: number; hash: string } {
    return this.spool.head;
  }

  /** The head the first event in `events()` follows (genesis unless the spool was compacted). */
  get base(): { seq: number; hash: string } {
    return this.spool.base;
  }

  /** Every event in the spool, oldest first: the paper profile's whole trail, the recent part once compacted. */
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
