import { defineSignal } from '@temporalio/workflow';

/** Sent by a completed rebalance: the warm wallet is topped up, the session may trade again. */
export const rebalanceDoneSignal = defineSignal<[{ rebalance: string; by: string }]>('rebalanceDone');
