import type { IncidentSummary } from '../contracts/incident';
import type { SessionStatus, StopReport } from '../contracts/session';

/**
 * What activities may do to trading sessions (the incident runbook's containment
 * and recovery). Implemented over the Temporal client; sessions are named
 * `<exchange>/<account>`, and an empty list means every session.
 */
export interface SessionControl {
  /** `incident`: the SEV-1 whose containment isolates them (only its approval lifts the isolation). */
  stop(sessions: string[], by: string, reason: string, isolate: boolean, incident?: string): Promise<StopReport[]>;
  /** `incident`: the incident approving the resume (its approveResume); required to lift its isolation. */
  resume(sessions: string[], by: string, reason: string, incident?: string): Promise<SessionStatus[]>;
  status(sessions: string[]): Promise<SessionStatus[]>;
  /** Running incidents, for the daily report. */
  incidents?(): Promise<IncidentSummary[]>;
}

/** Where post-incident reports go: the WORM audit bucket in production. */
export interface ReportStore {
  write(key: string, markdown: string): Promise<string>;
}
