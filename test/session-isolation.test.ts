import { describe, expect, it } from 'vitest';
import { initialBreaker, trip } from '../domain/circuit-breaker';
import { UNATTRIBUTED_ISOLATION } from '../contracts/session';
import { isolationResumeRefusal } from '../workflows/trading-session';

const at = '2025-01-15T14:00:00.000Z';
const isolatedBreaker = trip(initialBreaker(), 'incident', 'credentials isolated', at);

describe('a SEV-1 isolation resumes only through its incident (issue 13)', () => {
  it('refuses a plain resume and another incident\'s approval, naming the incident', () => {
    const isolation = { incidents: ['incident/a'], reason: 'x', at };
    expect(isolationResumeRefusal(isolation, isolatedBreaker, { by: 'cli:alice', reason: 'r' })).toMatch(/^isolation: credentials isolated by SEV-1 incident incident\/a; only that incident's approveResume/);
    expect(isolationResumeRefusal(isolation, isolatedBreaker, { by: 'cli:alice', reason: 'r', approvedBy: { incidentId: 'incident/b' } })).toBeDefined();
    expect(isolationResumeRefusal(isolation, isolatedBreaker, { by: 'incident/a', reason: 'r', approvedBy: { incidentId: 'incident/a' } })).toBeUndefined();
  });

  it('a breaker isolated before incident ids were recorded still needs some incident approval', () => {
    expect(isolationResumeRefusal(undefined, isolatedBreaker, { by: 'cli:alice', reason: 'r' })).toMatch(/\(unrecorded\)/);
    expect(isolationResumeRefusal(undefined, isolatedBreaker, { by: 'x', reason: 'r', approvedBy: { incidentId: 'incident/any' } })).toBeUndefined();
    expect(isolationResumeRefusal({ incidents: [UNATTRIBUTED_ISOLATION], reason: 'x', at }, isolatedBreaker, { by: 'x', reason: 'r', approvedBy: { incidentId: 'incident/any' } })).toBeUndefined();
  });

  it('no isolation, no gate: other breakers re-arm as before', () => {
    expect(isolationResumeRefusal(undefined, trip(initialBreaker(), 'manual', 'x', at), { by: 'cli:alice', reason: 'r' })).toBeUndefined();
    expect(isolationResumeRefusal(undefined, initialBreaker(), { by: 'cli:alice', reason: 'r' })).toBeUndefined();
  });
});
