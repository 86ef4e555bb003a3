import type { AuditEvent, AuditEventType } from '../../adapters/audit/events';
import type { AuditRecorder } from '../../adapters/audit/trail';
import { AuditTrail } from '../../adapters/audit/trail';

/** The events of one type a test trail recorded, oldest first. */
export function eventsOf(audit: AuditRecorder, type: AuditEventType): AuditEvent[] {
  if (!(audit instanceof AuditTrail)) throw new Error('eventsOf needs the AuditTrail the test opened');
  return audit.events().filter((e) => e.type === type);
}
