import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { PagerDutyConfig } from '../../config/schema';
import { describeEscalation, incidentOfAlert, type Alert } from '../../domain/severity';
import { registerSecret, sanitize } from '../redact';
import type { SecretsStore } from '../secrets/types';
import type { AlertChannel, IncidentPhaseEvent } from './router';
import { errorMessage } from '../../domain/error-message';

/** PagerDuty's event severities (Events API v2, `payload.severity`). */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/**
 * Desk level to PagerDuty's. CRITICAL pages as critical and INFO stays info; a
 * WARNING takes its incident's weight: SEV-3 (degraded trading) is an error,
 * SEV-1/2 critical, anything else a warning.
 */
export function pagerDutySeverity(alert: Pick<Alert, 'severity' | 'incident'>): PagerDutySeverity {
  if (alert.severity === 'CRITICAL') return 'critical';
  if (alert.severity === 'INFO') return 'info';
  if (alert.incident === 'SEV-1' || alert.incident === 'SEV-2') return 'critical';
  return alert.incident === 'SEV-3' ? 'error' : 'warning';
}

/** PagerDuty caps dedup keys at 255 characters. */
const key = (s: string) => s.slice(0, 255);

/**
 * One page per incident: the alert that opened it, the runbook's messages and
 * its escalations all re-trigger the incident's key, and acknowledge/resolve
 * name the same key. An alert outside any incident pages under its own dedup key.
 */
export function pagerDutyDedupKey(alert: Pick<Alert, 'incident' | 'incidentId' | 'dedupKey'>): string {
  return key(incidentOfAlert(alert) ?? alert.dedupKey);
}

interface TriggerPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp: string;
  component: string;
  group: string;
  class: string;
  custom_details: Record<string, string | number>;
}

export type PagerDutyEvent =
  | { routing_key: string; event_action: 'trigger'; dedup_key: string; payload: TriggerPayload; client: string }
  | { routing_key: string; event_action: 'acknowledge' | 'resolve'; dedup_key: string };

/** The 202 answer; anything else is an error whatever its body says. */
const Accepted = z.object({ status: z.literal('success'), dedup_key: z.string().optional(), message: z.string().optional() });
/** 400 and others: PagerDuty explains in `message` and `errors`. */
const Rejected = z.object({ status: z.string().optional(), message: z.string().optional(), errors: z.array(z.string()).optional() });

/** `summary` is at most 1024 characters on the wire. */
const SUMMARY_MAX = 1024;

/** The venue or subject the dedup key names (`circuit_breaker_triggered:binance/main` -> `binance/main`). */
function componentOf(alert: Alert): string {
  const i = alert.dedupKey.indexOf(':');
  return i < 0 ? 'desk' : alert.dedupKey.slice(i + 1);
}

export function triggerEvent(routingKey: string, alert: Alert, text: string, source: string): PagerDutyEvent {
  const incident = incidentOfAlert(alert);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: pagerDutyDedupKey(alert),
    client: 'Warden',
    payload: {
      // Alert texts carry no secret by construction; scrubbed anyway, as every text leaving the desk.
      summary: sanitize(text).slice(0, SUMMARY_MAX),
      source,
      severity: pagerDutySeverity(alert),
      timestamp: alert.at,
      component: componentOf(alert),
      group: incident ? 'incident' : 'alert',
      class: alert.name,
      custom_details: {
        condition: alert.title,
        message: sanitize(alert.message),
        desk_severity: alert.severity,
        alert_dedup_key: alert.dedupKey,
        respond_within_minutes: Math.round(alert.respondWithinMs / 60_000),
        ...(incident ? { incident } : {}),
        ...(alert.incident ? { incident_severity: alert.incident } : {}),
        ...(alert.escalateTo?.length ? { escalate_to: describeEscalation(alert.escalateTo) } : {}),
      },
    },
  };
}

export interface PagerDutyChannelOptions {
  secrets: Pick<SecretsStore, 'getPagerDutyRoutingKey'>;
  config: PagerDutyConfig;
  /** Injected so tests need not wait real backoffs; Retry-After is honoured through it. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Pages through the Events API v2 (POST /v2/enqueue). Within one delivery it
 * retries a few times: a 429 after its Retry-After (when that is short), a
 * 5xx or network error after a short backoff. Past those attempts it throws,
 * and the alert activity's durable retry takes over, for this channel only.
 * The routing key is read from the secrets store per delivery (a rotation is
 * picked up when the store's cache expires) and appears only in request bodies.
 */
export class PagerDutyAlertChannel implements AlertChannel {
  readonly name = 'pagerduty';

  constructor(private readonly opts: PagerDutyChannelOptions) {}

  async deliver(text: string, alert: Alert): Promise<void> {
    const routingKey = await this.routingKey();
    await this.send(triggerEvent(routingKey, alert, text, this.opts.config.source), `alert ${alert.dedupKey}`);
  }

  async incidentPhase(event: IncidentPhaseEvent): Promise<void> {
    const routingKey = await this.routingKey();
    await this.send({ routing_key: routingKey, event_action: event.action, dedup_key: key(event.incident) }, `${event.action} ${event.incident}`);
  }

  private async routingKey(): Promise<string> {
    const k = await this.opts.secrets.getPagerDutyRoutingKey();
    // Also scrubbed if the store handing it out did not register it.
    registerSecret(k);
    return k;
  }

  private async send(event: PagerDutyEvent, what: string): Promise<void> {
    const { apiUrl, maxAttempts, maxRetryAfterSeconds, timeoutSeconds } = this.opts.config;
    const wait = this.opts.sleep ?? ((ms: number) => sleep(ms));
    const url = new URL('/v2/enqueue', apiUrl).toString();
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const backoffMs = 250 * 2 ** (attempt - 1);
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal: AbortSignal.timeout(timeoutSeconds * 1000) });
      } catch (err) {
        last = networkError(err);
        if (attempt < maxAttempts) await wait(backoffMs);
        continue;
      }
      const body: unknown = await res.json().catch(() => undefined);
      if (res.status === 202 && Accepted.safeParse(body).success) return;
      last = `${res.status}${describe(body)}`;
      if (res.status === 429) {
        const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
        // A long wait belongs to the durable retry, not to an activity holding a slot.
        if (retryAfter !== undefined && retryAfter > maxRetryAfterSeconds) break;
        if (attempt < maxAttempts) await wait(retryAfter !== undefined ? retryAfter * 1000 : backoffMs);
        continue;
      }
      if (res.status >= 500) {
        if (attempt < maxAttempts) await wait(backoffMs);
        continue;
      }
      // 400 (invalid event) and other 4xx: sending it again now cannot help.
      break;
    }
    throw new Error(sanitize(`pagerduty: ${what} not delivered: ${last}`));
  }
}

function describe(body: unknown): string {
  const r = Rejected.safeParse(body);
  if (!r.success) return '';
  const parts = [r.data.message, ...(r.data.errors ?? [])].filter((p): p is string => !!p);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/** Retry-After in seconds, or an HTTP date (RFC 9110). */
function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function networkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${(err.cause as Error & { code?: string }).code ?? err.cause.message}` : '';
  return `${errorMessage(err)}${cause}`;
}
