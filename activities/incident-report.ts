import { sanitize } from '../adapters/redact';
import { INCIDENT_LEVELS } from '../domain/severity';
import type { IncidentStatus } from '../contracts/incident';

const minutes = (a: string, b: string) => Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 60_000));

/** The seed's post-incident report template, filled from the workflow's own timeline. */
export function renderIncidentReport(st: IncidentStatus, closedAt: string): string {
  // Findings, summaries and the timeline carry operator text and error messages: scrubbed before the WORM store keeps them.
  return sanitize(renderReport(st, closedAt));
}

function renderReport(st: IncidentStatus, closedAt: string): string {
  const f = st.findings;
  const list = (items: string[] | undefined, fallback: string) => (items?.length ? items.map((x, i) => `${i + 1}. ${x}`).join('\n') : fallback);
  const actions = [
    ...(st.damage ? [`Emergency stop of ${st.damage.sessions.join(', ') || 'all sessions'}; ${st.damage.cancelledOrders} open order(s) cancelled`] : []),
    ...(f?.keysCompromised ? ['Credential rotation requested for the affected keys'] : []),
    ...(f?.actions ?? []),
  ];
  return [
    `# Incident Report: ${st.id}`,
    '',
    '## Incident Summary',
    `- **Date**: ${st.openedAt.slice(0, 10)}`,
    `- **Severity**: ${st.severity} (${INCIDENT_LEVELS[st.severity].definition})`,
    `- **Duration**: ${minutes(st.openedAt, closedAt)} minutes`,
    `- **Impact**: ${st.damage ? `${st.damage.sessions.length} session(s) stopped, ${st.damage.cancelledOrders} order(s) cancelled` : 'no containment was needed'}`,
    `- **Summary**: ${st.summary}`,
    `- **Cause key**: ${st.cause} (triggered ${st.triggers} time(s))`,
    `- **Acknowledged by**: ${st.acknowledgedBy ?? 'nobody'}`,
    ...(st.falsePositive ? [`- **False positive**: marked by ${st.falsePositive.by}: ${st.falsePositive.reason}`] : []),
    '',
    '## Timeline',
    ...st.timeline.map((t) => `- ${t.at.replace('T', ' ').slice(0, 19)} UTC [${t.phase}]: ${t.event}`),
    '',
    '## Root Cause',
    f ? `${f.rootCause}\n\n${f.findings}` : 'Not recorded.',
    '',
    '## Actions Taken',
    list(actions, 'None.'),
    '',
    '## Prevention',
    list(f?.prevention, 'To be decided in the review.'),
    '',
    '## Lessons Learned',
    f?.lessons ?? 'To be written in the review.',
    '',
  ].join('\n');
}
