import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail, type AuditShipper } from '../../adapters/audit/trail';
import { testClock } from './clock';

export function tempDir(prefix = 'warden-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openTempTrail(shipper?: AuditShipper, dir = tempDir('warden-audit-')): Promise<AuditTrail> {
  return AuditTrail.open({ dir, shipper, host: 'test-host', now: testClock });
}
