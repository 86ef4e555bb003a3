import { describe, expect, it } from 'vitest';
import { initialBreaker, trip } from '../domain/circuit-breaker';
import { UNATTRIBUTED_ISOLATION } from '../contracts/session';
import { isolationResumeRefusal } from '../domain/session-machine';

const at = '2025-01-15T14:00:00.000Z';
const isolatedBreaker = trip(initialBreaker(), 'incident', 'credentials isolated', at);

describe('a SEV-1 isolation resumes only through its incident (issue 13)', () => {
  it('refuses a plain resume and another incident\'s approval, naming the incident', () => {
    const isolation = { incidents: ['incident/a'], reason: 'x', at };
    expect(isolationResumeRefusal(isolation, isolatedBreaker, undefined)).toMatch(/^isolation: credentials isolated by SEV-1 incident incident\/a; only that incident's approveResume/);
    expect(isolationResumeRefusal(isolation, isolatedBreaker, 'incident/b')).toBeDefined();
    expect(isolationResumeRefusal(isolation, isolatedBreaker, 'incident/a')).toBeUndefined();
  });

  it('a breaker isolated before incident ids were recorded still needs some incident approval', () => {
    expect(isolationResumeRefusal(undefined, isolatedBreaker, undefined)).toMatch(/\(unrecorded\)/);
    expect(isolationResumeRefusal(undefined, isolatedBreaker, 'incident/any')).toBeUndefined();
    expect(isolationResumeRefusal({ incidents: [UNATTRIBUTED_ISOLATION], reason: 'x', at }, isolatedBreaker, 'incident/any')).toBeUndefined();
  });

  it('no isolation, no gate: other breakers re-arm as before', () => {
    expect(isolationResumeRefusal(undefined, trip(initialBreaker(), 'manual', 'x', at), undefined)).toBeUndefined();
    expect(isolationResumeRefusal(undefined, initialBreaker(), undefined)).toBeUndefined();
  });
});
