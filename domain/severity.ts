/**
 * Alert and incident severities from the guide (section 5, Alert Thresholds;
 * section 7, Incident Severity Levels), as a typed catalogue so every alert
 * the desk raises has one severity, one response time and one dedup key.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const ALERT_SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const SEVERITY_ICON: Readonly<Record<AlertSeverity, string>> = { CRITICAL: '🚨', WARNING: '⚠️', INFO: 'ℹ️' };

/** The guide's default response time per severity; failover gets 15 minutes (see the catalogue). */
export const RESPONSE_TIME_MS: Readonly<Record<AlertSeverity, number>> = {
  CRITICAL: 5 * MINUTE_MS,
  WARNING: HOUR_MS,
  INFO: 24 * HOUR_MS,
};

// ---- incidents --------------------------------------------------------------

export const INCIDENT_SEVERITIES = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export interface IncidentLevel {
  severity: IncidentSeverity;
  /** 1 is the worst. */
  rank: number;
  definition: string;
  example: string;
  /** The guide demands a post-incident review after every SEV-1 or SEV-2. */
  postIncidentReview: boolean;
}

export const INCIDENT_LEVELS: Readonly<Record<IncidentSeverity, IncidentLevel>> = {
  'SEV-1': {
    severity: 'SEV-1',
    rank: 1,
    definition: 'Fund loss or critical security breach',
    example: 'Unauthorized withdrawal, API key compromised',
    postIncidentReview: true,
  },
  'SEV-2': {
    severity: 'SEV-2',
    rank: 2,
    definition: 'Trading halted, no fund loss',
    example: 'Exchange outage, database failure',
    postIncidentReview: true,
  },
  'SEV-3': { severity: 'SEV-3', rank: 3, definition: 'Degraded performance', example: 'High latency, partial failures', postIncidentReview: false },
  'SEV-4': { severity: 'SEV-4', rank: 4, definition: 'Minor issue, no impact', example: 'Warning threshold exceeded', postIncidentReview: false },
};

/** The more severe of two incident severities (an incident only ever escalates). */
export function worseIncident(a: IncidentSeverity, b: IncidentSeverity): IncidentSeverity {
  return INCIDENT_LEVELS[a].rank <= INCIDENT_LEVELS[b].rank ? a : b;
}

// ---- the alert catalogue ---------------------------------------------------------

export const ALERT_NAMES = [
  'circuit_breaker_triggered',
  'daily_loss_limit',
  'unauthorized_access',
  'unauthorized_operator_message',
  'failover_occurred',
  'margin_health_low',
  'high_latency',
  'daily_report',
  'low_balance',
  'key_audit_finding',
  'rotation_due',
  'unknown_orders',
  'incident_update',
  'audit_shipping',
  'clock_skew',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export interface AlertDefinition {
  name: AlertName;
  severity: AlertSeverity;
  /** The condition as the guide words it (thresholds are the config defaults). */
  condition: string;
  respondWithinMs: number;
  /** The incident this alert opens, if any. */
  incident?: IncidentSeverity;
}

function def(name: AlertName, severity: AlertSeverity, condition: string, extra: Partial<AlertDefinition> = {}): AlertDefinition {
  return { name, severity, condition, respondWithinMs: RESPONSE_TIME_MS[severity], ...extra };
}

export const ALERTS: Readonly<Record<AlertName, AlertDefinition>> = {
  circuit_breaker_triggered: def('circuit_breaker_triggered', 'CRITICAL', 'Circuit breaker triggered', { incident: 'SEV-2' }),
  daily_loss_limit: def('daily_loss_limit', 'CRITICAL', 'Daily loss limit hit (-5%)', { incident: 'SEV-2' }),
  // The guide's "Unauthorized API access": evidence that someone else uses the desk's exchange keys
  // (an order the desk did not place, new key rights or whitelist entries, a call from a foreign IP).
  unauthorized_access: def('unauthorized_access', 'CRITICAL', 'Unauthorized API access', { incident: 'SEV-1' }),
  // A stranger writing to the operator bot was refused; a security event to look at, not an emergency:
  // it opens no incident, so no stranger can contain or isolate the desk by typing "hi" (issue 13).
  unauthorized_operator_message: def('unauthorized_operator_message', 'WARNING', 'Refused operator message'),
  // The guide allows 15 minutes here: the standby has already taken over.
  failover_occurred: def('failover_occurred', 'CRITICAL', 'Failover occurred', { respondWithinMs: 15 * MINUTE_MS, incident: 'SEV-3' }),
  margin_health_low: def('margin_health_low', 'WARNING', 'Margin health < 40%', { incident: 'SEV-4' }),
  high_latency: def('high_latency', 'WARNING', 'High latency (> 500ms)', { incident: 'SEV-3' }),
  daily_report: def('daily_report', 'INFO', 'Daily report'),
  low_balance: def('low_balance', 'WARNING', 'Warm wallet balance low (< $5,000): manual cold -> warm transfer needed', { incident: 'SEV-4' }),
  // A CRITICAL key-audit finding is raised with a CRITICAL override (see makeAlert).
  key_audit_finding: def('key_audit_finding', 'WARNING', 'API key audit finding', { incident: 'SEV-4' }),
  rotation_due: def('rotation_due', 'WARNING', 'Credentials rotation due (90 days)', { incident: 'SEV-4' }),
  // An order under the desk's ids that the session never intended (issue #12): someone or something lost track.
  unknown_orders: def('unknown_orders', 'WARNING', 'Unknown orders found by reconciliation', { incident: 'SEV-3' }),
  // The incident runbook's own messages: they belong to an open incident and never open another.
  incident_update: def('incident_update', 'CRITICAL', 'Incident'),
  // Events stay safe in the spool during an S3 outage, but the WORM copy lags; a key holding other bytes is raised CRITICAL.
  audit_shipping: def('audit_shipping', 'WARNING', 'Audit trail not shipping to S3'),
  // Signed requests are already stamped on the venue's clock; the host's clock (NTP) is what to fix.
  clock_skew: def('clock_skew', 'WARNING', "Venue clock differs from the worker's (> 1 s)"),
};

// ---- escalation -----------------------------------------------------------------

/** Alert channels a route can name (the log takes every alert, whatever the route). */
export const ROUTED_CHANNELS = ['telegram', 'pagerduty', 'email'] as const;
export type RoutedChannel = (typeof ROUTED_CHANNELS)[number];

/** The seed's "Alert triggers (Telegram, PagerDuty, email)", by urgency: only CRITICAL pages. */
export const DEFAULT_ALERT_ROUTES: Readonly<Record<AlertSeverity, readonly RoutedChannel[]>> = {
  CRITICAL: ['telegram', 'pagerduty', 'email'],
  WARNING: ['telegram', 'email'],
  INFO: ['email'],
};

/** Someone an unacknowledged incident escalates to, and where each channel reaches them. */
export interface EscalationContact {
  name: string;
  telegram?: number;
  email?: string;
  /** A PagerDuty user or escalation policy id, named in the page's details. */
  pagerduty?: string;
}

/** A bare number is a Telegram user id (the list's original form). */
export type EscalationEntry = number | EscalationContact;

export function escalationContact(e: EscalationEntry): EscalationContact {
  return typeof e === 'number' ? { name: `tg:${e}`, telegram: e } : e;
}

/** `tg:1001, Alice (telegram 1002, email alice@example.com, pagerduty PABC123)`. */
export function describeEscalation(list: readonly EscalationEntry[]): string {
  if (!list.length) return 'all operators';
  return list
    .map((e) => {
      if (typeof e === 'number') return `tg:${e}`;
      // A bare Telegram id turned contact is already named by its id.
      const via = ROUTED_CHANNELS.flatMap((c) => (e[c] !== undefined && !(c === 'telegram' && e.name === `tg:${e[c]}`) ? [`${c} ${e[c]}`] : []));
      return via.length ? `${e.name} (${via.join(', ')})` : e.name;
    })
    .join(', ');
}

// ---- alerts and dedup keys --------------------------------------------------------

/** What an alert is about; each part becomes a segment of the dedup key. */
export interface AlertScope {
  exchange?: string;
  account?: string;
  /** e.g. a symbol, a key role, a finding code. */
  subject?: string;
}

/** Keeps keys to `[A-Za-z0-9._-]` segments so they are safe as workflow ids and metric labels. */
const segment = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

function scopeKey(scope: AlertScope): string {
  const venue = [scope.exchange, scope.account].filter((s): s is string => !!s).map(segment).join('/');
  return [venue, scope.subject ? segment(scope.subject) : ''].filter(Boolean).join(':');
}

/**
 * Same condition on the same scope -> same key, so a channel can suppress
 * repeats and a human acknowledges once, e.g. `circuit_breaker_triggered:binance/main`.
 */
export function alertDedupKey(name: AlertName, scope: AlertScope = {}): string {
  const s = scopeKey(scope);
  return s ? `${name}:${s}` : name;
}

/** The incident workflow's id for a cause: one open incident per cause (signal-with-start on this id). */
export function incidentIdForCause(cause: string): string {
  return `incident/${cause.replace(/[^A-Za-z0-9._:/-]/g, '_')}`;
}

/** Incidents dedup by cause and scope, not severity: an escalation is the same incident. */
export function incidentDedupKey(cause: string, scope: AlertScope = {}): string {
  const s = scopeKey(scope);
  return s ? `incident:${segment(cause)}:${s}` : `incident:${segment(cause)}`;
}

export interface Alert {
  name: AlertName;
  severity: AlertSeverity;
  title: string;
  message: string;
  dedupKey: string;
  /** ISO time the condition was observed. */
  at: string;
  respondWithinMs: number;
  incident?: IncidentSeverity;
  /** The incident this alert reports on (the runbook's own messages), so a pager folds them into one page. */
  incidentId?: string;
  /** An escalation's people: each channel reaches them its own way (email adds their addresses). */
  escalateTo?: EscalationContact[];
}

export interface AlertInput {
  message: string;
  at: string;
  scope?: AlertScope;
  /** Overrides the catalogue severity, e.g. CRITICAL for a critical key-audit finding. */
  severity?: AlertSeverity;
  /** Overrides the incident the catalogue opens, e.g. SEV-1 for a halt on a key that can withdraw; null: none (another alert's incident covers it). */
  incident?: IncidentSeverity | null;
  /** Set by the incident runbook on its own messages. */
  incidentId?: string;
  escalateTo?: EscalationContact[];
}

export function makeAlert(name: AlertName, input: AlertInput): Alert {
  const d = ALERTS[name];
  const severity = input.severity ?? d.severity;
  // An upgraded severity takes that severity's response time; the catalogue's own stands otherwise.
  const respondWithinMs = severity === d.severity ? d.respondWithinMs : RESPONSE_TIME_MS[severity];
  const alert: Alert = {
    name,
    severity,
    title: d.condition,
    message: input.message,
    dedupKey: alertDedupKey(name, input.scope),
    at: input.at,
    respondWithinMs,
  };
  const incident = input.incident === null ? undefined : (input.incident ?? d.incident);
  if (incident) alert.incident = incident;
  if (input.incidentId) alert.incidentId = input.incidentId;
  if (input.escalateTo?.length) alert.escalateTo = input.escalateTo;
  return alert;
}

/**
 * The incident an alert belongs to: the runbook's messages name theirs, and an
 * alert that opens an incident opens the one its dedup key names (clients/incident-control).
 */
export function incidentOfAlert(alert: Pick<Alert, 'incident' | 'incidentId' | 'dedupKey'>): string | undefined {
  return alert.incidentId ?? (alert.incident ? incidentIdForCause(alert.dedupKey) : undefined);
}

/** `🚨 CRITICAL: Circuit breaker triggered: <message>` */
export function formatAlert(alert: Pick<Alert, 'severity' | 'title' | 'message'>): string {
  return `${SEVERITY_ICON[alert.severity]} ${alert.severity}: ${alert.title}: ${alert.message}`;
}
