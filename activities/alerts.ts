import type { Alert } from '../domain/severity';
import type { AlertOutcome, IncidentPhaseEvent } from '../adapters/alerts/router';
import type { ActivityDeps } from './deps';

export function createAlertActivities(deps: ActivityDeps) {
  return {
    /**
     * Delivers an alert on every channel. A channel that failed makes the
     * activity fail, so Temporal retries it durably; channels that already
     * delivered are not sent the alert again.
     */
    async sendAlert(input: { alert: Alert; actor: string }): Promise<AlertOutcome> {
      const outcome = await deps.alerts.route(input.alert, input.actor);
      if (outcome.failed.length) throw new Error(`alert ${input.alert.dedupKey} not delivered on ${outcome.failed.join(', ')}`);
      return outcome;
    },

    /**
     * An incident was acknowledged or resolved: channels that keep incident
     * state (PagerDuty) follow, under the key its alerts paged with. Fails, and
     * so is retried durably, while any such channel has not taken it.
     */
    async notifyIncidentPhase(input: { event: IncidentPhaseEvent; actor: string }): Promise<AlertOutcome> {
      const outcome = await deps.alerts.incidentPhase(input.event, input.actor);
      if (outcome.failed.length) throw new Error(`incident ${input.event.incident} ${input.event.action} not delivered on ${outcome.failed.join(', ')}`);
      return outcome;
    },

    /**
     * Publishes the session's marks as metrics. Run as a local activity, on the
     * worker executing the workflow; its identity in the result is how the
     * session notices a failover.
     */
    async publishMarks(input: { exchange: string; account: string; dailyPnlPct: number; drawdownPct: number; value: number; breakerOpen: boolean }): Promise<{ worker: string }> {
      const labels = { exchange: input.exchange, account: input.account };
      deps.metrics.dailyPnlPct.set(labels, input.dailyPnlPct);
      deps.metrics.drawdownPct.set(labels, input.drawdownPct);
      deps.metrics.portfolioValue.set(labels, input.value);
      deps.metrics.breakerOpen.set(labels, input.breakerOpen ? 1 : 0);
      return { worker: deps.workerIdentity };
    },
  };
}
