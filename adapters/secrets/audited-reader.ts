import type { AuditRecorder } from '../audit/trail';
import { sanitize } from '../redact';

/**
 * Wraps one read of a backing store: every read is audited (name, purpose, who,
 * success) and never with the value. A failed audit write fails the read: an
 * unrecorded secret access is not allowed.
 */
export async function auditedRead<T>(
  audit: AuditRecorder,
  accessedBy: string,
  secretName: string,
  purpose: string,
  read: () => Promise<T>,
): Promise<T> {
  try {
    const value = await read();
    await audit.record({ type: 'secret_access', actor: accessedBy, data: { secret_name: secretName, purpose, accessed_by: accessedBy, success: true } });
    return value;
  } catch (err) {
    await audit.record({
      type: 'secret_access',
      actor: accessedBy,
      data: { secret_name: secretName, purpose, accessed_by: accessedBy, success: false, error: sanitize((err as Error).name ?? 'Error') },
    });
    throw err;
  }
}
