import type { ShippingTrouble } from '../adapters/audit';
import { makeAlert, type Alert } from '../domain/severity';
import { formatDuration } from '../domain/duration';

/** An outage past the threshold is a WARNING; other bytes at an audit key are CRITICAL (tampering or a colliding writer). */
export function shippingAlert(t: ShippingTrouble, at: string = new Date().toISOString()): Alert | undefined {
  const scope = { subject: t.writer };
  if (t.kind === 'outage') {
    return makeAlert('audit_shipping', {
      at,
      scope,
      message: `${t.unshipped} audit event(s) of ${t.writer} not shipped after ${t.failures} attempt(s) over ${formatDuration(t.sinceMs)}; they stay in the local spool. Last error: ${t.error}`,
    });
  }
  if (t.kind === 'conflict') {
    return makeAlert('audit_shipping', {
      at,
      severity: 'CRITICAL',
      scope: { subject: `${t.writer}-conflict` },
      message: `audit key ${t.key} already holds different content: possible tampering. ${t.unshipped} event(s) of ${t.writer} held back; check the bucket and run warden audit verify.`,
    });
  }
  return undefined;
}
