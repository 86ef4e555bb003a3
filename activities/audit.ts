import type { AuditEventInput } from '../adapters/audit/events';
import type { ActivityDeps } from './deps';

export function createAuditActivities(deps: ActivityDeps) {
  return {
    /**
     * Workflows audit their steps through this. The id is derived from workflow
     * state, so a retried activity finds its event already written and adds nothing.
     */
    async recordAudit(input: AuditEventInput & { id: string }): Promise<{ seq: number; hash: string }> {
      const event = await deps.audit.record(input);
      return { seq: event.seq, hash: event.hash };
    },
  };
}
