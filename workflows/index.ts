// Every workflow the desk's workers run; the bundler starts here.
export { deskWorkflow } from './desk';
export { credentialInventoryWorkflow } from './credential-inventory';
export { tradingSessionWorkflow } from './trading-session';
export { rebalanceWorkflow } from './rebalance';
export { incidentWorkflow } from './incident';
export { keyAuditWorkflow } from './key-audit';
export { rotationCheckWorkflow, rotateCredentialWorkflow } from './rotation';
export { dailyReportWorkflow } from './daily-report';

// Clients name some of these by workflow type (contracts/ holds the names, so a client loads no
// workflow code): each name must be an export above, with the contract's signature where it has one.
// Types only: tsc fails here when a workflow is renamed and its contract is not.
import type { IncidentWorkflow, incidentWorkflowType } from '../contracts/incident';
import type { keyAuditWorkflowType } from '../contracts/key-audit';
import type { rebalanceWorkflowType } from '../contracts/rebalance';
import type { dailyReportWorkflowType, rotationCheckWorkflowType } from '../contracts/rotation';
import type { sessionWorkflowType, TradingSessionWorkflow } from '../contracts/session';
type Registered = typeof import('./index');
type Holds<T extends true> = T;
export type ContractsNameTheseWorkflows = [
  Holds<Registered[typeof incidentWorkflowType] extends IncidentWorkflow ? true : false>,
  Holds<typeof rebalanceWorkflowType extends keyof Registered ? true : false>,
  Holds<Registered[typeof sessionWorkflowType] extends TradingSessionWorkflow ? true : false>,
  Holds<typeof keyAuditWorkflowType extends keyof Registered ? true : false>,
  Holds<typeof rotationCheckWorkflowType extends keyof Registered ? true : false>,
  Holds<typeof dailyReportWorkflowType extends keyof Registered ? true : false>,
];
