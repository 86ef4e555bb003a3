/**
 * The activities a trading session calls, each with the timeouts and retries its job needs.
 * Destructured: the session names only what it uses.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { DeskActivities } from '../../activities';
import { FAILURE } from '../../contracts/failures';
import { ORDER_HEARTBEAT_TIMEOUT_MS, ORDER_RETRY_INTERVAL_MS, ORDER_START_TO_CLOSE_MS } from '../../domain/order-timing';

/** Exchange calls fail fast so a dead worker's task moves to the standby within seconds. */
export const { snapshotAccount, fetchFills, checkVenueClock, cancelAllOrders, auditAccountKeys } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
});

/**
 * Placement retries until the outcome is known: each retry looks the client order id up first, and
 * none runs while an earlier request can still land (domain/order-timing.ts). The activity sets the
 * delay after its own failures; the interval here covers attempts that timed out (a dead worker).
 */
export const ORDER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: ORDER_START_TO_CLOSE_MS,
  heartbeatTimeout: ORDER_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: ORDER_RETRY_INTERVAL_MS, backoffCoefficient: 1.5, maximumInterval: 30_000, maximumAttempts: 20, nonRetryableErrorTypes: [FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
};
export const { placeOrder } = proxyActivities<DeskActivities>(ORDER_ACTIVITY_OPTIONS);

/** Audit writes (and the fills' trade events) are retried durably. */
export const { recordAudit, recordFills } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Alert delivery retries in the background for about half an hour; it never holds up a tick. */
export const { sendAlert } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '60 seconds', maximumAttempts: 40 },
});

/** Re-arming is best effort and off the tick's path: two quick attempts, then the next tick tries again. */
export const { armDeadMansSwitch } = proxyActivities<DeskActivities>({ startToCloseTimeout: '5 seconds', retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 } });

/** Local activities run on the worker that runs this workflow's tasks: that is how the session knows its worker. */
export const { publishMarks } = proxyLocalActivities<DeskActivities>({ startToCloseTimeout: '5 seconds' });
