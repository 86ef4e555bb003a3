import { describe, expect, it } from 'vitest';
import {
  ALERTS,
  ALERT_NAMES,
  INCIDENT_LEVELS,
  INCIDENT_SEVERITIES,
  RESPONSE_TIME_MS,
  alertDedupKey,
  formatAlert,
  incidentDedupKey,
  makeAlert,
  worseIncident,
} from '../../domain/severity';

const MIN = 60_000;

describe('alert catalogue', () => {
  it('has the guide severities and response times', () => {
    expect(RESPONSE_TIME_MS).toEqual({ CRITICAL: 5 * MIN, WARNING: 60 * MIN, INFO: 24 * 60 * MIN });
    const table = Object.fromEntries(ALERT_NAMES.map((n) => [n, [ALERTS[n].severity, ALERTS[n].respondWithinMs / MIN]]));
    expect(table).toEqual({
      circuit_breaker_triggered: ['CRITICAL', 5],
      daily_loss_limit: ['CRITICAL', 5],
      unauthorized_access: ['CRITICAL', 5],
      unauthorized_operator_message: ['WARNING', 60],
      failover_occurred: ['CRITICAL', 15],
      margin_health_low: ['WARNING', 60],
      high_latency: ['WARNING', 60],
      daily_report: ['INFO', 1_440],
      low_balance: ['WARNING', 60],
      key_audit_finding: ['WARNING', 60],
      rotation_due: ['WARNING', 60],
      unknown_orders: ['WARNING', 60],
      incident_update: ['CRITICAL', 5],
      audit_shipping: ['WARNING', 60],
      clock_skew: ['WARNING', 60],
    });
  });

  it('every entry is keyed by its own name and worded like the guide', () => {
    for (const n of ALERT_NAMES) expect(ALERTS[n].name).toBe(n);
    expect(ALERTS.daily_loss_limit.condition).toBe('Daily loss limit hit (-5%)');
    expect(ALERTS.margin_health_low.condition).toBe('Margin health < 40%');
    expect(ALERTS.high_latency.condition).toBe('High latency (> 500ms)');
  });
});

describe('incident severities', () => {
  it('has the guide definitions, in order', () => {
    expect(INCIDENT_SEVERITIES.map((s) => INCIDENT_LEVELS[s].definition)).toEqual([
      'Fund loss or critical security breach',
      'Trading halted, no fund loss',
      'Degraded performance',
      'Minor issue, no impact',
    ]);
    expect(INCIDENT_LEVELS['SEV-1'].example).toBe('Unauthorized withdrawal, API key compromised');
    expect(INCIDENT_SEVERITIES.filter((s) => INCIDENT_LEVELS[s].postIncidentReview)).toEqual(['SEV-1', 'SEV-2']);
  });

  it('only escalates', () => {
    expect(worseIncident('SEV-3', 'SEV-1')).toBe('SEV-1');
    expect(worseIncident('SEV-2', 'SEV-4')).toBe('SEV-2');
    expect(worseIncident('SEV-2', 'SEV-2')).toBe('SEV-2');
  });

  it('maps alerts to incidents', () => {
    expect(ALERTS.unauthorized_access.incident).toBe('SEV-1');
    // A refused Telegram message is a security event, never an incident (issue 13).
    expect(ALERTS.unauthorized_operator_message.incident).toBeUndefined();
    expect(ALERTS.circuit_breaker_triggered.incident).toBe('SEV-2');
    expect(ALERTS.daily_report.incident).toBeUndefined();
  });
});

describe('alerts and dedup keys', () => {
  it('builds stable, id-safe dedup keys', () => {
    expect(alertDedupKey('circuit_breaker_triggered', { exchange: 'binance', account: 'main' })).toBe('circuit_breaker_triggered:binance/main');
    expect(alertDedupKey('daily_report')).toBe('daily_report');
    expect(alertDedupKey('key_audit_finding', { exchange: 'okx', account: 'main', subject: 'withdraw enabled!' })).toBe(
      'key_audit_finding:okx/main:withdraw_enabled_',
    );
    expect(alertDedupKey('high_latency', { subject: 'BTC/USDT' })).toBe('high_latency:BTC_USDT');
    expect(incidentDedupKey('auth failure', { exchange: 'bybit', account: 'main' })).toBe('incident:auth_failure:bybit/main');
    expect(incidentDedupKey('manual')).toBe('incident:manual');
  });

  it('makes alerts from the catalogue', () => {
    const a = makeAlert('failover_occurred', { message: 'worker-b took over', at: '2025-01-15T12:00:00.000Z', scope: { exchange: 'binance', account: 'main' } });
    expect(a).toEqual({
      name: 'failover_occurred',
      severity: 'CRITICAL',
      title: 'Failover occurred',
      message: 'worker-b took over',
      dedupKey: 'failover_occurred:binance/main',
      at: '2025-01-15T12:00:00.000Z',
      respondWithinMs: 15 * MIN,
      incident: 'SEV-3',
    });
    expect(makeAlert('daily_report', { message: 'ok', at: 'x' })).not.toHaveProperty('incident');
  });

  it('lets a critical finding raise its alert severity', () => {
    const a = makeAlert('key_audit_finding', { message: 'withdraw', at: 'x', severity: 'CRITICAL' });
    expect(a.severity).toBe('CRITICAL');
    expect(a.respondWithinMs).toBe(5 * MIN);
    expect(formatAlert(a)).toBe('🚨 CRITICAL: API key audit finding: withdraw');
    expect(formatAlert(makeAlert('daily_report', { message: 'P&L +1.2%', at: 'x' }))).toBe('ℹ️ INFO: Daily report: P&L +1.2%');
  });
});
