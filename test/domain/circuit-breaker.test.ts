import { describe, expect, it } from 'vitest';
import { initialBreaker, isOpen, rearm, recordFailure, recordSuccess, trip, type BreakerState } from '../../domain/circuit-breaker';

const T = '2025-01-15T12:00:00.000Z';
const T2 = '2025-01-15T12:05:00.000Z';

function fail(state: BreakerState, n: number, threshold?: number): BreakerState {
  let s = state;
  for (let i = 0; i < n; i++) s = recordFailure(s, 'retryable', T, threshold);
  return s;
}

describe('circuit breaker', () => {
  it('starts closed', () => {
    expect(initialBreaker()).toEqual({ status: 'closed', consecutiveFailures: 0 });
    expect(isOpen(initialBreaker())).toBe(false);
  });

  it('trips at once on an auth failure', () => {
    expect(recordFailure(initialBreaker(), 'auth', T)).toEqual({
      status: 'open',
      trippedBy: 'auth',
      reason: 'exchange rejected the API key (authentication error)',
      openedAt: T,
      consecutiveFailures: 1,
    });
  });

  it('trips after the threshold of consecutive retryable failures (default 5)', () => {
    const four = fail(initialBreaker(), 4);
    expect(four).toEqual({ status: 'closed', consecutiveFailures: 4 });
    const five = recordFailure(four, 'retryable', T2);
    expect(five).toEqual({
      status: 'open',
      trippedBy: 'exchange_failures',
      reason: '5 consecutive exchange failures (threshold 5)',
      openedAt: T2,
      consecutiveFailures: 5,
    });
  });

  it('a success in between resets the count', () => {
    const s = fail(recordSuccess(fail(initialBreaker(), 4)), 4);
    expect(s.status).toBe('closed');
    expect(s.consecutiveFailures).toBe(4);
  });

  it('honours a custom threshold and never a threshold below 1', () => {
    expect(fail(initialBreaker(), 2, 2).status).toBe('open');
    expect(fail(initialBreaker(), 1, 2).status).toBe('closed');
    expect(fail(initialBreaker(), 1, 0).status).toBe('open');
    expect(fail(initialBreaker(), 1, -3).reason).toBe('1 consecutive exchange failures (threshold 1)');
  });

  it('a success never closes an open breaker', () => {
    const open = recordFailure(initialBreaker(), 'auth', T);
    const after = recordSuccess(open);
    expect(after.status).toBe('open');
    expect(after.consecutiveFailures).toBe(0);
    const closed = initialBreaker();
    expect(recordSuccess(closed)).toBe(closed);
  });

  it('keeps the first cause when tripped again', () => {
    const first = trip(initialBreaker(), 'daily_loss', 'daily P&L -5.10%', T);
    expect(first).toMatchObject({ status: 'open', trippedBy: 'daily_loss', reason: 'daily P&L -5.10%', openedAt: T });
    expect(trip(first, 'manual', '/stop', T2)).toBe(first);
    const more = fail(first, 10);
    expect(more).toMatchObject({ trippedBy: 'daily_loss', openedAt: T, consecutiveFailures: 10 });
    expect(recordFailure(first, 'auth', T2)).toMatchObject({ trippedBy: 'daily_loss', reason: 'daily P&L -5.10%' });
  });

  it('accepts every trip cause', () => {
    for (const by of ['daily_loss', 'max_drawdown', 'auth', 'exchange_failures', 'manual', 'incident'] as const) {
      expect(trip(initialBreaker(), by, 'x', T).trippedBy).toBe(by);
    }
  });

  it('only an operator re-arms it, and that clears everything', () => {
    const open = fail(initialBreaker(), 7);
    expect(rearm(open, 'telegram:12345')).toEqual({ status: 'closed', consecutiveFailures: 0, rearmedBy: 'telegram:12345' });
    // Re-arming then failing again needs the full threshold.
    expect(fail(rearm(open, 'op'), 4).status).toBe('closed');
  });

  it('never mutates its input', () => {
    const s = initialBreaker();
    const frozen = Object.freeze({ ...s });
    expect(() => recordFailure(frozen, 'retryable', T)).not.toThrow();
    expect(() => trip(frozen, 'manual', 'x', T)).not.toThrow();
    expect(frozen).toEqual(s);
  });
});
