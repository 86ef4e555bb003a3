import type { AlertRouter } from '../adapters/alerts/router';
import type { AuditEvent } from '../adapters/audit/events';
import type { AuditRecorder } from '../adapters/audit/trail';
import type { ExchangeId } from '../domain/market';
import type { EscalationEntry } from '../domain/severity';
import type { ReportStore, SessionControl } from './session-control';
import type { GatewayProvider } from '../adapters/exchange/provider';
import type { Logger } from '../adapters/logger';
import type { DeskMetrics } from '../adapters/metrics';
import type { SecretsStore } from '../adapters/secrets/types';
import type { SecretRotator } from '../adapters/secrets/rotation';

/** Everything activities reach the outside world through; entry points and tests wire it. */
export interface ActivityDeps {
  logger: Logger;
  metrics: DeskMetrics;
  audit: AuditRecorder;
  secrets: SecretsStore;
  /** Stages and promotes rotated keys; absent, credential rotation refuses to promote. */
  rotator?: SecretRotator;
  gateways: GatewayProvider;
  alerts: AlertRouter;
  /** Reads the trail back (incident investigation). */
  auditReader: { events(): readonly AuditEvent[] };
  sessionControl: SessionControl;
  reports: ReportStore;
  /** Configured accounts (an incident with no named sessions concerns them all). */
  accounts: Array<{ exchange: ExchangeId; account: string }>;
  /** Who is paged when an incident is not acknowledged (Telegram ids, or people per channel). */
  escalation: EscalationEntry[];
  /** Names this worker in results, so sessions can see a failover. */
  workerIdentity: string;
  now?: () => Date;
}
