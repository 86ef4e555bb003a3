/**
 * Activities are thin: each calls an adapter handed in through `deps`
 * (dependency injection, as in Temporal's samples), so entry points and tests
 * wire real or local adapters without touching them.
 */
import { createAlertActivities } from './alerts';
import { createAuditActivities } from './audit';
import { createCredentialActivities } from './credentials';
import type { ActivityDeps } from './deps';
import { createDailyReportActivities } from './daily-report';
import { createDeskActivities } from './desk';
import { createIncidentActivities } from './incidents';
import { reportingIpRefusals } from './ip-refusals';
import { createReconciliationActivities } from './reconciliation';
import { createSecurityActivities } from './security';
import { createTradingActivities } from './trading';

export type { ActivityDeps } from './deps';
export type { CredentialInfo } from './credentials';
export type { DeskBeat } from './desk';

export function createActivities(raw: ActivityDeps) {
  const deps: ActivityDeps = { ...raw, gateways: reportingIpRefusals(raw) };
  return {
    ...createDeskActivities(deps),
    ...createAuditActivities(deps),
    ...createCredentialActivities(deps),
    ...createTradingActivities(deps),
    ...createReconciliationActivities(deps),
    ...createAlertActivities(deps),
    ...createIncidentActivities(deps),
    ...createDailyReportActivities(deps),
    ...createSecurityActivities(deps),
  };
}

export type DeskActivities = ReturnType<typeof createActivities>;
