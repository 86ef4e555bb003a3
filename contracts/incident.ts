/**
 * The incident runbook's contract (workflows/incident.ts): what opens an incident, its status and
 * findings, the operator's Updates, the retrigger Signal, its Query and its workflow id. Clients and
 * activities import these, never the workflow. The message names are in running incidents'
 * histories: never rename one.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { incidentIdForCause, type IncidentSeverity } from '../domain/severity';

/** The workflow type clients open, list and signal-with-start incidents by (workflows/index.ts exports it under this name). */
export const incidentWorkflowType = 'incidentWorkflow';
/** Its signature, for a client starting it by type name (workflows/index.ts checks the export against it). */
export type IncidentWorkflow = (input: IncidentInput) => Promise<IncidentStatus>;

/** One open incident per cause: the workflow id is the cause's (domain/severity.ts). */
export const incidentWorkflowId = incidentIdForCause;

export type IncidentPhase = 'detection' | 'containment' | 'investigation' | 'recovery' | 'closed';

export interface IncidentSummary {
  id: string;
  severity: IncidentSeverity;
  phase: IncidentPhase;
  summary: string;
  openedAt: string;
  acknowledgedBy?: string;
}

export interface TimelineEntry {
  at: string;
  phase: IncidentPhase;
  event: string;
}

export interface IncidentStatus extends IncidentSummary {
  cause: string;
  triggers: number;
  timeline: TimelineEntry[];
  falsePositive?: { by: string; reason: string };
  damage?: { cancelledOrders: number; sessions: string[]; cancelsPending?: string[]; positions: Record<string, Record<string, number>> };
  findings?: Findings;
  reportKey?: string;
}

export interface Findings {
  by: string;
  findings: string;
  rootCause: string;
  keysCompromised: boolean;
  actions?: string[];
  prevention?: string[];
  lessons?: string;
}

export interface IncidentInput {
  cause: string;
  severity: IncidentSeverity;
  summary: string;
  /** Sessions (`binance/main`) affected; empty means every session. */
  sessions: string[];
  declaredBy: string;
  /** Seconds; defaults are the seed's phase budgets. */
  ackTimeoutSeconds?: number;
  containmentConfirmSeconds?: number;
  findingsTimeoutSeconds?: number;
  resumeTimeoutSeconds?: number;
}

export const acknowledgeUpdate = defineUpdate<IncidentStatus, [{ by: string }]>('acknowledge');
export const falsePositiveUpdate = defineUpdate<IncidentStatus, [{ by: string; reason: string }]>('markFalsePositive');
export const confirmContainmentUpdate = defineUpdate<IncidentStatus, [{ by: string; approve: boolean }]>('confirmContainment');
export const recordFindingsUpdate = defineUpdate<IncidentStatus, [Findings]>('recordFindings');
export const approveResumeUpdate = defineUpdate<IncidentStatus, [{ by: string; reason: string }]>('approveResume');
/** What a repeated trigger of the cause says. */
export interface Retrigger {
  detail: string;
  at: string;
}
/** A repeated trigger of the same cause attaches here instead of opening a second incident. */
export const retriggerSignal = defineSignal<[Retrigger]>('retrigger');
export const incidentStatusQuery = defineQuery<IncidentStatus>('incidentStatus');
