// A test-only workflow: the domain exercise, run inside the workflow sandbox.
import { exercise } from './exercise';

export async function domainExerciseWorkflow(nowMs: number): Promise<ReturnType<typeof exercise>> {
  return exercise(nowMs);
}
