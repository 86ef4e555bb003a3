import { auditKeys, formatFinding } from '../domain/key-audit';
import { describeEscalation, escalationContact, makeAlert } from '../domain/severity';
import type { IncidentStatus } from '../contracts/incident';
import type { ExchangeId } from '../domain/market';
import type { ActivityDeps } from './deps';
import { renderIncidentReport } from './incident-report';

const split = (session: string) => {
  const [exchange, account] = session.split('/') as [ExchangeId, string];
  return { exchange, account };
};

/** The incident runbook's hands: containment, evidence, escalation, recovery and the report. */
export function createIncidentActivities(deps: ActivityDeps) {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  return {
    /** Emergency stop of the affected sessions and the damage assessment (positions after the stop). */
    async containSessions(input: { sessions: string[]; reason: string; isolate: boolean; incident?: string }) {
      const reports = await deps.sessionControl.stop(input.sessions, 'incident-runbook', input.reason, input.isolate, input.incident);
      const statuses = await deps.sessionControl.status(input.sessions);
      const positions: Record<string, Record<string, number>> = {};
      for (const s of statuses) positions[s.session] = Object.fromEntries(Object.entries(s.positions).map(([a, b]) => [a, b.total]));
      return {
        sessions: reports.map((r) => r.session),
        cancelledOrders: reports.reduce((n, r) => n + r.cancelled.length, 0),
        // Stopped and isolated, but the venue has not confirmed the cancels: the sessions retry them every tick.
        cancelsPending: reports.filter((r) => r.cancelPending).map((r) => r.session),
        positions,
      };
    },

    /** Nobody acknowledged in time: page the escalation list on every channel. */
    async escalate(input: { incident: string; severity: string; summary: string; round: number }) {
      const to = describeEscalation(deps.escalation);
      const alert = makeAlert('incident_update', {
        message: `ESCALATION ${input.round} to ${to}: ${input.severity} ${input.incident} is not acknowledged: ${input.summary}`,
        at: now(),
        scope: { subject: `${input.incident}-escalation-${input.round}` },
        incidentId: input.incident,
        escalateTo: deps.escalation.map(escalationContact),
      });
      return deps.alerts.route(alert, input.incident);
    },

    /** Investigation: what the audit trail and the venues say about the window. */
    async collectEvidence(input: { from: string; sessions: string[] }) {
      const events = deps.auditReader.events().filter((e) => e.time >= input.from);
      const accounts = input.sessions.length ? input.sessions.map(split) : deps.accounts;
      const keyFindings: string[] = [];
      for (const a of accounts) {
        try {
          const trading = await (await deps.gateways.gateway(a.exchange, a.account, 'trading')).fetchKeyPermissions();
          const findings = auditKeys({ exchange: a.exchange, account: a.account, trading: { ...trading, keyId: 'trading' } });
          keyFindings.push(...findings.filter((f) => f.severity !== 'OK').map((f) => formatFinding(f, { withAccount: true })));
        } catch (err) {
          keyFindings.push(`${a.exchange}/${a.account}: key permissions unavailable (${(err as Error).name})`);
        }
      }
      return {
        auditEvents: events.length,
        ordersPlaced: events.filter((e) => e.type === 'order_placed').length,
        unauthorizedAttempts: events.filter((e) => e.type === 'operator_command' && e.data.outcome === 'refused').length,
        keyFindings,
      };
    },

    /** Keys may be compromised: ask for rotation of each affected trading key (the rotation procedure is manual). */
    async requestRotation(input: { sessions: string[]; incident: string }) {
      const accounts = input.sessions.length ? input.sessions.map(split) : deps.accounts;
      const names = accounts.map((a) => `${a.exchange}/${a.account}/trading`);
      for (const name of names) {
        await deps.alerts.route(makeAlert('rotation_due', { message: `${input.incident}: rotate ${name} now (keys may be compromised)`, at: now(), scope: { subject: name } }), input.incident);
      }
      return names;
    },

    async reconcileSessions(input: { sessions: string[] }) {
      return (await deps.sessionControl.status(input.sessions)).map((s) => ({ session: s.session, value: s.pnl.value, openOrders: s.openOrders.length }));
    },

    async resumeSessions(input: { sessions: string[]; by: string; reason: string; incident?: string }) {
      return (await deps.sessionControl.resume(input.sessions, input.by, input.reason, input.incident)).map((s) => s.session);
    },

    /** The post-incident report, as markdown, into the WORM store; returns where it went. */
    async writeIncidentReport(input: { status: IncidentStatus }) {
      const markdown = renderIncidentReport(input.status, now());
      const key = `incidents/${input.status.openedAt.slice(0, 10)}/${input.status.id.replace(/[^A-Za-z0-9._-]/g, '_')}.md`;
      return deps.reports.write(key, markdown);
    },
  };
}
