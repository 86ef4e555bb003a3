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
  ) {}

  static async open(dir: string, opts: SpoolOptions = {}): Promise<AuditSpool> {
    mkdirSync(dir, { recursive: true });
    const writer = await loadWriterId(dir, opts.role ?? 'worker');
    const path = join(dir, 'spool.jsonl');
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
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
    const file = await open(path, 'a+');
    if (validBytes < Buffer.byteLength(text)) await file.truncate(validBytes);
    const shipped = await readFile(join(dir, 'shipped.json'), 'utf8')
      .then((t) => (JSON.parse(t) as { lastShippedSeq: number }).lastShippedSeq)
      .catch(() => 0);
    return new AuditSpool(dir, file, writer, events, anchor, shipped, opts);
  }

  get head(): ChainHead {
    const last = this.events[this.events.length - 1];
    return last ? { seq: last.seq, hash: last.hash } : this.anchor;
  }

  /** The head the first kept event follows: genesis, or where the last compaction cut. */
  get base(): ChainHead {
    return this.anchor;
  }

  get lastShippedSeq(): number {
    return this.shippedSeq;
  }

  unshipped(): AuditEvent[] {
    const first = this.events.findIndex((e) => e.seq > this.shippedSeq);
    return first < 0 ? [] : this.events.slice(first);
  }

  /** Appends a batch with one write and one fsync (group commit). */
  async append(batch: AuditEvent[]): Promise<void> {
    if (!batch.length) return;
    await this.file.appendFile(batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
    await this.file.datasync();
    this.events.push(...batch);
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
    const threshold = this.opts.compactAfterShipped ?? 10_000;
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
  }

  close(): Promise<void> {
    return this.file.close();
  }
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
