import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../adapters/audit/trail';
import type { AuditEventInput } from '../../adapters/audit/events';
import type { Benchmark } from './types';

const event = (i: number): AuditEventInput => ({
  type: 'order_placed',
  actor: 'bench',
  data: { exchange: 'binance', account: 'bench', symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 0.01, price: 50_000 + i, orderId: `o${i}`, clientOrderId: `c${i}` },
});

/** Events acknowledged durably (fsync'd) per second, with many writers sharing group commits. */
export const auditThroughput: Benchmark = {
  name: 'audit_throughput',
  description: 'audit events acknowledged after fsync, 64 concurrent writers, group commit on',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
    const trail = await AuditTrail.open({ dir });
    const total = 20_000;
    const writers = 64;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < total) await trail.record(event(next++));
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    await trail.close();
    // One writer waiting on each fsync: the floor that batching lifts.
    const serialDir = mkdtempSync(join(tmpdir(), 'bench-audit-serial-'));
    const serial = await AuditTrail.open({ dir: serialDir });
    const serialN = 500;
    const s0 = performance.now();
    for (let i = 0; i < serialN; i++) await serial.record(event(i));
    const serialSeconds = (performance.now() - s0) / 1000;
    await serial.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(serialDir, { recursive: true, force: true });
    return {
      events: { value: total, unit: 'events' },
      throughput: { value: Math.round(total / seconds), unit: 'events/s' },
      unbatched_throughput: { value: Math.round(serialN / serialSeconds), unit: 'events/s' },
    };
  },
};

/** Time to reopen a spool after a restart: parse, rebuild the id index, find the unshipped tail. */
export const spoolRecovery: Benchmark = {
  name: 'audit_spool_recovery',
  description: 'reopen a 100k-event spool after a restart',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-spool-'));
    const trail = await AuditTrail.open({ dir });
    const n = 100_000;
    for (let i = 0; i < n; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, j) => trail.record(event(i + j))));
    await trail.close();
    const start = performance.now();
    const reopened = await AuditTrail.open({ dir });
    const ms = performance.now() - start;
    const pending = reopened.pendingCount;
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
    return { events: { value: n, unit: 'events' }, recovery_time: { value: Math.round(ms), unit: 'ms' }, unshipped_found: { value: pending, unit: 'events' } };
  },
};
