import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { findChainBreak } from './chain';
import type { AuditEvent } from './events';

export interface TrailBreak {
  key: string;
  seq?: number;
  problem: string;
}

export interface VerifyResult {
  ok: boolean;
  objects: number;
  events: number;
  firstBreak?: TrailBreak;
}

export interface VerifyRange {
  /** Inclusive YYYY-MM-DD bounds on the date in the object key. */
  from?: string;
  to?: string;
}

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

/**
 * Reads every object version of the trail back and checks: each version is under
 * a COMPLIANCE lock that has not expired (via HeadObject; moto lacks
 * GetObjectRetention), no key was rewritten with different content, and the hash
 * chain runs unbroken across objects in sequence order.
 */
export async function verifyS3Trail(
  s3: S3Client,
  bucket: string,
  prefix: string,
  range: VerifyRange = {},
  now: Date = new Date(),
): Promise<VerifyResult> {
  const inRange = (key: string) => {
    const date = key.slice(prefix.length + 1, prefix.length + 11);
    return (!range.from || date >= range.from) && (!range.to || date <= range.to);
  };
  const { versions, deleteMarkers } = await listVersions(s3, bucket, prefix);
  const hidden = deleteMarkers.find(inRange);
  if (hidden) return { ok: false, objects: 0, events: 0, firstBreak: { key: hidden, problem: 'a delete marker hides this object' } };

  const byKey = new Map<string, ObjectVersion[]>();
  for (const v of versions.filter((x) => inRange(x.key))) byKey.set(v.key, [...(byKey.get(v.key) ?? []), v]);

  const objects: Array<{ key: string; events: AuditEvent[] }> = [];
  for (const [key, vs] of byKey) {
    // S3 lists a key's versions newest first; LastModified has only second resolution.
    vs.reverse();
    let original: string | undefined;
    for (const v of vs) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
      if (head.ObjectLockMode !== 'COMPLIANCE') {
        return fail(key, `object version ${v.versionId} is not under a COMPLIANCE lock (mode ${head.ObjectLockMode ?? 'none'})`);
      }
      if (!head.ObjectLockRetainUntilDate || head.ObjectLockRetainUntilDate.getTime() <= now.getTime()) {
        return fail(key, `object version ${v.versionId} has no retention in force`);
      }
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: v.versionId }));
      const text = (await body.Body?.transformToString()) ?? '';
      if (original === undefined) original = text;
      else if (text !== original) {
        const a = parseJsonl(original);
        const b = parseJsonl(text);
        const i = a.findIndex((e, j) => JSON.stringify(e) !== JSON.stringify(b[j]));
        const seq = i >= 0 ? a[i]!.seq : b[a.length]?.seq;
        return fail(key, `object was rewritten: version ${v.versionId} differs from the original`, seq);
      }
    }
    objects.push({ key, events: parseJsonl(original ?? '') });
  }
  objects.sort((a, b) => (a.events[0]?.seq ?? 0) - (b.events[0]?.seq ?? 0));
  const all = objects.flatMap((o) => o.events);
  const first = all[0];
  // A range starting mid-trail trusts its first event's link to what came before.
  const anchor = first && range.from ? { seq: first.seq - 1, hash: first.prevHash } : undefined;
  const brk = findChainBreak(all, anchor);
  if (brk) {
    const owner = objects.find((o) => o.events.some((e) => e.seq >= brk.seq)) ?? objects[objects.length - 1];
    return { ok: false, objects: objects.length, events: all.length, firstBreak: { key: owner?.key ?? '(none)', ...brk } };
  }
  return { ok: true, objects: objects.length, events: all.length };

  function fail(key: string, problem: string, seq?: number): VerifyResult {
    return { ok: false, objects: objects.length, events: 0, firstBreak: { key, seq, problem } };
  }
}
