import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { GENESIS_HASH, type AuditEvent } from './events';

/** Who writes a chain: each process kind keeps its own spool, so two writers never share one. */
export const WRITER_ROLES = ['worker', 'bot', 'cli'] as const;
export type WriterRole = (typeof WRITER_ROLES)[number];

/** A writer id is a key segment: lowercase letters, digits and dashes, never a date (legacy keys are `logs/<date>/`). */
export const WRITER_ID = /^(worker|bot|cli)-[a-z0-9-]{1,40}-[a-f0-9]{8}$/;

const WriterFile = z.object({ writer: z.string().regex(WRITER_ID) });
/** The first line of a compacted spool: the head the kept events follow, so the chain continues. */
const HeadLine = z.object({ $head: z.object({ seq: z.number().int().nonnegative(), hash: z.string().regex(/^[0-9a-f]{64}$/) }) });

export interface ChainHead {
  seq: number;
  hash: string;
}

function newWriterId(role: WriterRole): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40) || 'host';
  return `${role}-${host}-${randomBytes(4).toString('hex')}`;
}

export interface SpoolOptions {
  role?: WriterRole;
  /** Rewrite the file once this many shipped events sit in it. */
  compactAfterShipped?: number;
  /** Shipped events kept after a compaction (recent evidence for incident reports). */
  keepShipped?: number;
  /**
   * Most events held in memory (the newest); older unshipped ones are read back from the file
   * when shipped. Unset keeps every event (the paper profile, whose spool is the whole trail).
   */
  maxInMemory?: number;
}

/**
 * The local, append-only spool: one JSON line per event, fsync'd before a write
 * is acknowledged. It is the whole store in the paper profile and the buffer
 * that keeps events safe while S3 is unreachable in production. Once shipped
 * events pile up it is compacted: rewritten (atomically) with the head they
 * led to plus the recent and unshipped events, so memory and disk stay bounded.
 */
export class AuditSpool {
  private constructor(
    private readonly dir: string,
    private file: FileHandle,
    readonly writer: string,
    readonly events: AuditEvent[],
    private anchor: ChainHead,
    private shippedSeq: number,
    private readonly opts: SpoolOptions,
  ) {
    this.last = events.length ? { seq: events[events.length - 1]!.seq, hash: events[events.length - 1]!.hash } : anchor;
    this.trim();
  }

  private last: ChainHead;
  /** The head just before `events[0]` once older events left memory. */
  private windowBase?: ChainHead;
  /** Time of the first unshipped event when it is no longer in memory. */
  private oldestOnDisk?: string;

  static async open(dir: string, opts: SpoolOptions = {}): Promise<AuditSpool> {
    mkdirSync(dir, { recursive: true });
    const writer = await loadWriterId(dir, opts.role ?? 'worker');
    const path = join(dir, 'spool.jsonl');
    const text = await readSpoolText(path);
    const { events, anchor, validBytes } = parseSpool(text, path);
    const file = await open(path, 'a+');
    if (validBytes < Buffer.byteLength(text)) await file.truncate(validBytes);
    return new AuditSpool(dir, file, writer, events, anchor, await readShippedSeq(dir), opts);
  }

  get head(): ChainHead {
    return this.last;
  }

  /** The head the first event in memory follows: genesis, where the last compaction cut, or where memory starts. */
  get base(): ChainHead {
    return this.windowBase ?? this.anchor;
  }

  /** Events written but not yet shipped (seqs are contiguous, so no scan). */
  get unshippedCount(): number {
    return Math.max(0, this.last.seq - this.shippedSeq);
  }

  /** The first unshipped event's time, from memory or from the last read of the file. */
  get oldestUnshippedTime(): string | undefined {
    if (!this.unshippedCount) return undefined;
    return this.events.find((e) => e.seq === this.shippedSeq + 1)?.time ?? this.oldestOnDisk;
  }

  /** The next batch to ship, from memory, or from the file when it starts before memory does. */
  async unshippedBatch(max: number): Promise<AuditEvent[]> {
    const from = this.shippedSeq + 1;
    if (from > this.last.seq) return [];
    const first = this.events[0];
    if (first && first.seq <= from) return this.events.slice(from - first.seq, from - first.seq + max);
    const text = await readFile(join(this.dir, 'spool.jsonl'), 'utf8');
    const batch: AuditEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('{"$head"')) continue;
      const e = JSON.parse(line) as AuditEvent;
      if (e.seq >= from && batch.length < max) batch.push(e);
    }
    this.oldestOnDisk = batch[0]?.time;
    return batch;
  }

  /** Drops the oldest events from memory beyond `maxInMemory`; they stay in the file. */
  private trim(): void {
    const max = this.opts.maxInMemory;
    if (max === undefined || this.events.length <= max) return;
    const dropped = this.events.splice(0, this.events.length - max);
    const lastDropped = dropped[dropped.length - 1]!;
    this.windowBase = { seq: lastDropped.seq, hash: lastDropped.hash };
    const firstUnshipped = dropped.find((e) => e.seq === this.shippedSeq + 1);
    if (firstUnshipped) this.oldestOnDisk = firstUnshipped.time;
  }

  get lastShippedSeq(): number {
    return this.shippedSeq;
  }

  /** Appends a batch with one write and one fsync (group commit). */
  async append(batch: AuditEvent[]): Promise<void> {
    if (!batch.length) return;
    await this.file.appendFile(batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await this.file.datasync();
    this.events.push(...batch);
    const last = batch[batch.length - 1]!;
    this.last = { seq: last.seq, hash: last.hash };
    this.trim();
  }

  /** Records that everything up to `seq` is in S3; atomic so a crash never loses the mark. */
  async markShipped(seq: number): Promise<void> {
    const tmp = join(this.dir, 'shipped.json.tmp');
    await writeFile(tmp, JSON.stringify({ lastShippedSeq: seq }), { flush: true });
    await rename(tmp, join(this.dir, 'shipped.json'));
    this.shippedSeq = seq;
    await this.compactIfDue();
  }

  /** Drops shipped events beyond `keepShipped` once `compactAfterShipped` of them sit in the file. */
  private async compactIfDue(): Promise<void> {
    // Never above the memory window, or shipped events would leave memory before they could be compacted away.
    const threshold = Math.min(this.opts.compactAfterShipped ?? 10_000, this.opts.maxInMemory ?? Infinity);
    // Only while every unshipped event is in memory: the rewrite keeps what memory holds.
    const first = this.events[0];
    if (!first || first.seq > this.shippedSeq + 1) return;
    const shipped = this.events.filter((e) => e.seq <= this.shippedSeq).length;
    if (shipped < threshold) return;
    const drop = shipped - Math.min(this.opts.keepShipped ?? 1000, shipped);
    if (drop <= 0) return;
    const cut = this.events[drop - 1]!;
    const kept = this.events.slice(drop);
    const anchor = { seq: cut.seq, hash: cut.hash };
    const path = join(this.dir, 'spool.jsonl');
    const tmp = join(this.dir, 'spool.jsonl.tmp');
    await writeFile(tmp, [JSON.stringify({ $head: anchor }), ...kept.map((e) => JSON.stringify(e))].map((l) => `${l}\n`).join(''), { flush: true });
    // A crash before the rename leaves the old (longer) spool: nothing is lost.
    await this.file.close();
    await rename(tmp, path);
    this.file = await open(path, 'a+');
    this.events.splice(0, drop);
    this.anchor = anchor;
    this.windowBase = undefined;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

const readSpoolText = (path: string) => readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));

const readShippedSeq = (dir: string) =>
  readFile(join(dir, 'shipped.json'), 'utf8')
    .then((t) => (JSON.parse(t) as { lastShippedSeq: number }).lastShippedSeq)
    .catch(() => 0);

function parseSpool(text: string, path: string): { events: AuditEvent[]; anchor: ChainHead; validBytes: number } {
  const lines = text.split('\n');
  const events: AuditEvent[] = [];
  let anchor: ChainHead = { seq: 0, hash: GENESIS_HASH };
  let validBytes = 0;
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    try {
      const parsed = JSON.parse(line) as unknown;
      const head = i === 0 ? HeadLine.safeParse(parsed) : undefined;
      if (head?.success) anchor = head.data.$head;
      else events.push(parsed as AuditEvent);
      validBytes += Buffer.byteLength(line) + 1;
    } catch {
      // Only the last line may be torn (a crash mid-write, never acknowledged); anything else is damage.
      if (i < lines.length - 1 && lines.slice(i + 1).some(Boolean)) throw new Error(`audit spool ${path} is corrupt at line ${i + 1}`);
    }
  }
  return { events, anchor, validBytes };
}

/** A spool as it stands on disk, read without opening it for writing (its process may be running). */
export interface SpoolSnapshot {
  dir: string;
  writer: string;
  /** The head the kept events follow (genesis unless compacted). */
  anchor: ChainHead;
  events: AuditEvent[];
  /** The last seq the writer saw stored in the bucket: the bucket's chain must reach it. */
  lastShippedSeq: number;
}

/** Reads the spool in `dir`, or undefined when no writer ever opened one there. */
export async function readSpool(dir: string): Promise<SpoolSnapshot | undefined> {
  const raw = await readFile(join(dir, 'writer.json'), 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  const parsed = WriterFile.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`audit spool ${join(dir, 'writer.json')}: not a valid writer id`);
  const path = join(dir, 'spool.jsonl');
  const { events, anchor } = parseSpool(await readSpoolText(path), path);
  return { dir, writer: parsed.data.writer, anchor, events, lastShippedSeq: await readShippedSeq(dir) };
}

/** The writer id persisted on first open, so a restarted process keeps its chain (and its key prefix). */
async function loadWriterId(dir: string, role: WriterRole): Promise<string> {
  const path = join(dir, 'writer.json');
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  if (text !== undefined) {
    const parsed = WriterFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`audit spool ${path}: not a valid writer id`);
    return parsed.data.writer;
  }
  const writer = newWriterId(role);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify({ writer }), { flush: true });
  await rename(tmp, path);
  return writer;
}
