/**
 * The desk supervisor's contract (workflows/desk.ts): its input, status, Query and Update, and its
 * workflow id. Clients and the CLI import these, never the workflow. The message names are in
 * running desks' histories: never rename one.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** One desk supervisor per desk. */
export const deskWorkflowId = (desk: string) => `desk/${desk}`;

export interface DeskInput {
  desk: string;
  profile: 'paper' | 'production';
  /** Seconds between health checks. */
  heartbeatSeconds?: number;
  /** Carried over continue-as-new. */
  beats?: number;
}

export interface DeskStatus {
  desk: string;
  profile: 'paper' | 'production';
  beats: number;
  lastWorker?: string;
  lastBeatAt?: string;
  stopping: boolean;
  stoppedBy?: string;
}

export const deskStatusQuery = defineQuery<DeskStatus>('deskStatus');
export const stopDeskUpdate = defineUpdate<DeskStatus, [{ by: string; reason: string }]>('stopDesk');
