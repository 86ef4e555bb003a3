import type { AlertRouter } from '../adapters/alerts/router';
import type { AuditRecorder } from '../adapters/audit/trail';
import type { GatewayProvider } from '../adapters/exchange/provider';
import type { Logger } from '../adapters/logger';
import type { DeskMetrics } from '../adapters/metrics';
import type { SecretsStore } from '../adapters/secrets/types';

/** Everything activities reach the outside world through; entry points and tests wire it. */
export interface ActivityDeps {
  logger: Logger;
  metrics: DeskMetrics;
  audit: AuditRecorder;
  secrets: SecretsStore;
  gateways: GatewayProvider;
  alerts: AlertRouter;
  /** Names this worker in results, so sessions can see a failover. */
  workerIdentity: string;
  now?: () => Date;
}
