import { defineSignal } from '@temporalio/workflow';
import type { KeyAuditResultMessage } from '../domain/key-audit';

/** Sent by a completed rebalance: the warm wallet is topped up, the session may trade again. */
export const rebalanceDoneSignal = defineSignal<[{ rebalance: string; by: string }]>('rebalanceDone');

/**
 * Sent by every completed key audit of the session's account (the daily schedule or any run):
 * a CRITICAL result halts the session; a clean one is what re-arming it needs.
 */
export const keyAuditResultSignal = defineSignal<[KeyAuditResultMessage]>('keyAuditResult');
