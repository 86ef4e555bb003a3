/**
 * What workflows read from a failed activity, in one place: the failure type its retry policy and
 * handlers act on, the message, and the two together for an operator.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { errorMessage } from '../domain/error-message';

function causeOf(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}

/** The ApplicationFailure type an activity failed with (e.g. `ExchangeAuth`), if it failed with one. */
export function failureType(err: unknown): string | undefined {
  const cause = causeOf(err);
  return err instanceof ActivityFailure && cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** The activity's own message, without Temporal's wrapper ("Activity task failed"). */
export function failureMessage(err: unknown): string {
  const cause = causeOf(err);
  if (err instanceof ActivityFailure && cause instanceof ApplicationFailure) return cause.message;
  return errorMessage(err);
}

/** `Type: message`, as reports and alerts show a failure. */
export function failureReason(err: unknown): string {
  const cause = causeOf(err);
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}
