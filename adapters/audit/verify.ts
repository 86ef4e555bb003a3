import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { findChainBreak } from './chain';
import { GENESIS_HASH, type AuditEvent } from './events';
import { headMessage, type AuditHeadSigner } from './mac';
import { HEAD_MAC_METADATA } from './s3-shipper';

export interface TrailBreak {
  key: string;
  seq?: number;
  problem: string;
}

/** One writer's chain: `legacy` is the single chain of objects directly under `logs/<date>/` (before per-writer keys). */
export interface ChainResult {
  writer: string;
  ok: boolean;
  objects: number;
  events: number;
  /** Whether every object's head MAC was checked (legacy objects carry none). */
  signed: boolean;
  firstBreak?: TrailBreak;
  /** The chain's last event, when intact. */
  last?: { seq: number; hash: string };
}

export interface VerifyResult {
  ok: boolean;
  objects: number;
  events: number;
  firstBreak?: TrailBreak;
  /** Per writer, for an S3 trail. */
  chains?: ChainResult[];
}

export interface VerifyRange {
  /** Inclusive YYYY-MM-DD bounds on the date in the object key. */
  from?: string;
  to?: string;
}

export interface VerifyOptions {
  range?: VerifyRange;
  /** Locks are judged against this clock. */
  now?: Date;
  /** Checks each object's head MAC; without it only hashes and locks are checked. */
  signer?: AuditHeadSigner;
}

export const LEGACY_WRITER = 'legacy';
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseJsonl(text: string): AuditEvent[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

/** The chain over a local spool (the paper profile's store); `anchor` for a range that starts mid-trail. */
export function verifyEvents(events: readonly AuditEvent[], source: string, anchor?: { seq: number; hash: string }): VerifyResult {
  const brk = findChainBreak([...events], anchor);
  return { ok: !brk, objects: 1, events: events.length, firstBreak: brk ? { key: source, ...brk } : undefined };
}

interface ObjectVersion {
  key: string;
  versionId: string;
}

async function listVersions(s3: S3Client, bucket: string, prefix: string) {
  const versions: ObjectVersion[] = [];
  const deleteMarkers: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}/`, KeyMarker, VersionIdMarker }));
    for (const v of page.Versions ?? []) {
      versions.push({ key: v.Key!, versionId: v.VersionId! });
    }
    for (const d of page.DeleteMarkers ?? []) deleteMarkers.push(d.Key!);
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return { versions, deleteMarkers };
}

/** `logs/<writer>/<date>/…` -> writer and date; `logs/<date>/…` -> the legacy chain. */
function locate(prefix: string, key: string): { writer: string; date: string } {
  const [first = '', second = ''] = key.slice(prefix.length + 1).split('/');
  return DATE.test(first) ? { writer: LEGACY_WRITER, date: first } : { writer: first, date: second };
}

/**
 * Reads every object version of the trail back and checks, per writer chain:
 * each version is under a COMPLIANCE lock that has not expired (via HeadObject;
 * moto lacks GetObjectRetention), no key was rewritten with different content,
 * the hash chain runs unbroken across objects in sequence order, and (with a
 * signer) each object's head MAC verifies, so an object put by anyone without
 * the KMS key is named even when it links correctly.
 */
export async function verifyS3Trail(s3: S3Client, bucket: string, prefix: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const range = opts.range ?? {};
  const now = opts.now ?? new Date();
  const inRange = (key: string) => {
    const { date } = locate(prefix, key);
    return (!range.from || date >= range.from) && (!range.to || date <= range.to);
  };
  const { versions, deleteMarkers } = await listVersions(s3, bucket, prefix);
  const byWriter = new Map<string, { versions: ObjectVersion[]; hidden?: string }>();
  const chain = (w: string) => byWriter.get(w) ?? byWriter.set(w, { versions: [] }).get(w)!;
  for (const v of versions.filter((x) => inRange(x.key))) chain(locate(prefix, v.key).writer).versions.push(v);
  for (const d of deleteMarkers.filter(inRange)) chain(locate(prefix, d).writer).hidden ??= d;

  const writers = [...byWriter.keys()].sort((a, b) => (a === LEGACY_WRITER ? -1 : b === LEGACY_WRITER ? 1 : a < b ? -1 : 1));
  const chains: ChainResult[] = [];
  let legacyHead: { seq: number; hash: string } | undefined;
  for (const writer of writers) {
    const { versions: vs, hidden } = byWriter.get(writer)!;
    const r = await verifyChain(s3, bucket, writer, vs, hidden, { range, now, signer: opts.signer, legacyHead });
    if (writer === LEGACY_WRITER) legacyHead = r.head;
    chains.push(r.result);
  }
  const broken = chains.find((c) => !c.ok);
  return {
    ok: !broken,
    objects: chains.reduce((n, c) => n + c.objects, 0),
    events: chains.reduce((n, c) => n + c.events, 0),
    ...(broken ? { firstBreak: broken.firstBreak } : {}),
    chains,
  };
}

async function verifyChain(
  s3: S3Client,
  bucket: string,
  writer: string,
  versions: ObjectVersion[],
  hidden: string | undefined,
  ctx: { range: VerifyRange; now: Date; signer?: AuditHeadSigner; legacyHead?: { seq: number; hash: string } },
): Promise<{ result: ChainResult; head?: { seq: number; hash: string } }> {
  const signed = writer !== LEGACY_WRITER && !!ctx.signer;
  const objects: Array<{ key: string; events: AuditEvent[]; mac?: string }> = [];
  const fail = (key: string, problem: string, seq?: number) => ({
    result: { writer, ok: false, objects: objects.length, events: objects.reduce((n, o) => n + o.events.length, 0), signed, firstBreak: { key, seq, problem } },
  });
  if (hidden) return fail(hidden, 'a delete marker hides this object');

  const byKey = new Map<string, ObjectVersion[]>();
  for (const v of versions) byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);
  for (const [key, vs] of byKey) {
    // S3 lists a key's versions newest first; LastModified has only second resolution.
    vs.reverse();
    let original: string | undefined;
    let mac: string | undefined;
    for (const v of vs) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
      if (head.ObjectLockMode !== 'COMPLIANCE') {
        return fail(key, `object version ${v.versionId} is not under a COMPLIANCE lock (mode ${head.ObjectLockMode ?? 'none'})`);
      }
      if (!head.ObjectLockRetainUntilDate || head.ObjectLockRetainUntilDate.getTime() <= ctx.now.getTime()) {
        return fail(key, `object version ${v.versionId} has no retention in force`);
      }
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
      const text = (await body.Body?.transformToString()) ?? '';
      if (original === undefined) {
        original = text;
        mac = head.Metadata?.[HEAD_MAC_METADATA];
      } else if (text !== original) {
        const a = parseJsonl(original);
        const b = parseJsonl(text);
        const i = a.findIndex((e, j) => JSON.stringify(e) !== JSON.stringify(b[j]));
        const seq = i >= 0 ? a[i]!.seq : b[a.length]?.seq;
        return fail(key, `object was rewritten: version ${v.versionId} differs from the original`, seq);
      }
    }
    objects.push({ key, events: parseJsonl(original ?? ''), mac });
  }
  objects.sort((a, b) => (a.events[0]?.seq ?? 0) - (b.events[0]?.seq ?? 0));
  const all = objects.flatMap((o) => o.events);
  const first = all[0];
  const count = { objects: objects.length, events: all.length };
  // A range starting mid-trail trusts its first event's link to what came before; so does a writer whose
  // spool predates per-writer keys, when it continues the legacy chain. Otherwise a chain starts at genesis.
  const continuesLegacy = first && ctx.legacyHead && first.seq === ctx.legacyHead.seq + 1 && first.prevHash === ctx.legacyHead.hash;
  const anchor = first && (ctx.range.from || continuesLegacy) ? { seq: first.seq - 1, hash: first.prevHash } : { seq: 0, hash: GENESIS_HASH };
  const brk = findChainBreak(all, anchor);
  if (brk) {
    const owner = objects.find((o) => o.events.some((e) => e.seq >= brk.seq)) ?? objects[objects.length - 1];
    return { result: { writer, ok: false, ...count, signed, firstBreak: { key: owner?.key ?? '(none)', ...brk } } };
  }
  if (signed) {
    for (const o of objects) {
      const last = o.events[o.events.length - 1];
      if (!last) return fail(o.key, 'object is empty');
      if (!o.mac) return { result: { writer, ok: false, ...count, signed, firstBreak: { key: o.key, seq: last.seq, problem: 'object carries no head MAC (not written by a desk writer)' } } };
      if (!(await ctx.signer!.verify(headMessage(writer, last.seq, last.hash), o.mac))) {
        return { result: { writer, ok: false, ...count, signed, firstBreak: { key: o.key, seq: last.seq, problem: 'head MAC does not verify (forged object)' } } };
      }
    }
  }
  const last = all[all.length - 1];
  const head = last ? { seq: last.seq, hash: last.hash } : undefined;
  return { result: { writer, ok: true, ...count, signed, ...(head ? { last: head } : {}) }, head };
}

/**
 * A missing object at a chain's end leaves no gap to see in the bucket: only the writer knows how far
 * it shipped. Each local spool's `lastShippedSeq` is held against its chain in the bucket, so an
 * object that never arrived (or a chain that is gone) is named. Writers without a spool here are
 * checked by what the bucket holds alone.
 */
export function checkChainEnds(result: VerifyResult, spools: ReadonlyArray<{ writer: string; lastShippedSeq: number; events: readonly AuditEvent[] }>, prefix: string): VerifyResult {
  const chains = [...(result.chains ?? [])];
  for (const sp of spools) {
    if (sp.lastShippedSeq <= 0) continue;
    const i = chains.findIndex((c) => c.writer === sp.writer);
    const c = chains[i];
    const key = `${prefix}/${sp.writer}/`;
    const problem = (has: string) => `missing object(s) at the chain's end: this machine's spool shipped up to seq ${sp.lastShippedSeq}, the bucket ${has}`;
    if (!c) {
      chains.push({ writer: sp.writer, ok: false, objects: 0, events: 0, signed: false, firstBreak: { key, seq: 1, problem: problem('holds none of its objects') } });
      continue;
    }
    if (!c.ok || !c.last) continue;
    if (c.last.seq < sp.lastShippedSeq) {
      chains[i] = { ...c, ok: false, firstBreak: { key, seq: c.last.seq + 1, problem: problem(`ends at seq ${c.last.seq}`) } };
      continue;
    }
    // The bucket's event at that seq must be the one the spool holds (when it still does, before compaction).
    const mine = sp.events.find((e) => e.seq === c.last!.seq);
    if (mine && mine.hash !== c.last.hash) chains[i] = { ...c, ok: false, firstBreak: { key, seq: c.last.seq, problem: `the bucket's seq ${c.last.seq} differs from this machine's spool` } };
  }
  chains.sort((a, b) => (a.writer === LEGACY_WRITER ? -1 : b.writer === LEGACY_WRITER ? 1 : a.writer < b.writer ? -1 : 1));
  const broken = chains.find((c) => !c.ok);
  return { ...result, ok: !broken, chains, ...(broken ? { firstBreak: broken.firstBreak } : {}) };
}
