// Every workflow the desk's workers run; the bundler starts here.
export { deskWorkflow } from './desk';
export { credentialInventoryWorkflow } from './credential-inventory';
export { tradingSessionWorkflow } from './trading-session';
export { rebalanceWorkflow } from './rebalance';
export { incidentWorkflow } from './incident';
export { keyAuditWorkflow } from './key-audit';
export { rotationCheckWorkflow, rotateCredentialWorkflow } from './rotation';
export { dailyReportWorkflow } from './daily-report';
