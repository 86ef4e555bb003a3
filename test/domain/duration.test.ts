import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../domain/duration';

describe('formatDuration', () => {
  it('shows a whole budget exactly in its unit', () => {
    expect([1_000, 90_000, 5 * 60_000, 2 * 3_600_000, 48 * 3_600_000, 15 * 60_000].map(formatDuration)).toEqual(['1 s', '90 s', '5 min', '2 h', '2 d', '15 min']);
  });
  it('rounds anything else in the largest unit it reaches', () => {
    expect([95 * 60_000 + 500, 1_500, 61_500, 36 * 3_600_000 + 1, 400].map(formatDuration)).toEqual(['2 h', '2 s', '1 min', '2 d', '0 s']);
  });
});
