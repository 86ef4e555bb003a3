import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { sanitize } from '../adapters/redact';

/**
 * Every activity error passes through here before Temporal records it in
 * history: ccxt and SDK errors can embed signed URLs or keys in their text.
 */
export class SanitizingActivityInbound implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      if (err instanceof ApplicationFailure) {
        throw ApplicationFailure.create({
          message: sanitize(err.message),
          type: err.type ?? undefined,
          nonRetryable: err.nonRetryable ?? undefined,
          details: err.details?.map((d) => (typeof d === 'string' ? sanitize(d) : d)),
          nextRetryDelay: err.nextRetryDelay,
          category: err.category ?? undefined,
        });
      }
      if (err instanceof Error) {
        const clean = ApplicationFailure.create({ message: sanitize(err.message), type: err.name, nonRetryable: false });
        clean.stack = err.stack ? sanitize(err.stack) : '';
        throw clean;
      }
      throw ApplicationFailure.create({ message: sanitize(String(err)), type: 'Error' });
    }
  }
}
