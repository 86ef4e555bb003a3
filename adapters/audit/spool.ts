import { mkdirSync } from 'node:fs';
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS_HASH, type AuditEvent } from './events';

/**
 * The local, append-only spool: one JSON line per event, fsync'd before a write
 * is acknowledged. It is the whole store in the paper profile and the buffer
 * that keeps events safe while S3 is unreachable in production.
 */
export class AuditSpool {
  private constructor(
    private readonly dir: string,
    private readonly file: FileHandle,
    readonly events: AuditEvent[],
    private shippedSeq: number,
  ) {}

  static async open(dir: string): Promise<AuditSpool> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'spool.jsonl');
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
    const lines = text.split('\n');
    const events: AuditEvent[] = [];
    let validBytes = 0;
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as AuditEvent);
        validBytes += Buffer.byteLength(line) + 1;
      } catch (err) {
        // Only the last line may be torn (a crash mid-write, never acknowledged); anything else is damage.
        if (i < lines.length - 1 && lines.slice(i + 1).some(Boolean)) throw new Error(`audit spool ${path} is corrupt at line ${i + 1}`);
      }
    }
    const file = await open(path, 'a+');
    if (validBytes < Buffer.byteLength(text)) await file.truncate(validBytes);
    const shipped = await readFile(join(dir, 'shipped.json'), 'utf8')
      .then((t) => (JSON.parse(t) as { lastShippedSeq: number }).lastShippedSeq)
      .catch(() => 0);
    return new AuditSpool(dir, file, events, shipped);
  }

  get head(): { seq: number; hash: string } {
    const last = this.events[this.events.length - 1];
    return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
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
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
