import { createHash } from 'node:crypto';
import { GENESIS_HASH, type AuditEvent } from './events';

/** JSON with sorted keys, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

export function seal(event: Omit<AuditEvent, 'hash'>): AuditEvent {
  return { ...event, hash: hashEvent(event) };
}

export interface ChainBreak {
  seq: number;
  problem: string;
}

/**
 * Checks that each event's hash matches its content, that it points at the
 * previous event's hash, and that sequence numbers have no gap. `anchor` is the
 * hash and seq the first event must follow (genesis for a whole trail).
 */
export function findChainBreak(events: AuditEvent[], anchor: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): ChainBreak | undefined {
  let prev = anchor;
  for (const e of events) {
    const { hash, ...rest } = e;
    if (hashEvent(rest) !== hash) return { seq: e.seq, problem: 'event content does not match its hash (altered)' };
    if (e.seq !== prev.seq + 1) return { seq: prev.seq + 1, problem: `sequence gap: expected ${prev.seq + 1}, found ${e.seq} (event removed)` };
    if (e.prevHash !== prev.hash) return { seq: e.seq, problem: 'prevHash does not match the previous event (chain broken)' };
    prev = { seq: e.seq, hash };
  }
  return undefined;
}
