import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskStatusQuery, stopDeskUpdate } from '../contracts/desk';
import { deskWorkflow } from '../workflows/desk';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

describe('desk workflow on the real dev server', () => {
  let t: TemporalHarness;
  beforeAll(async () => {
    t = await temporalHarness();
  });
  afterAll(async () => t?.close());

  it('is run by a real worker: beats, answers queries, and completes on stopDesk', async () => {
    const { worker, running } = await t.startWorker({ workerIdentity: 'worker-a' });
    try {
      const handle = await t.client.workflow.start(deskWorkflow, {
        taskQueue: t.taskQueue,
        workflowId: `desk/test-${t.taskQueue}`,
        args: [{ desk: 'test', profile: 'paper', heartbeatSeconds: 3600 }],
      });
      // An update sent with the start may land before the first beat; wait for the beat so the stop is tested mid-wait.
      await waitFor(() => handle.query(deskStatusQuery), (s) => s.beats === 1, 20_000, 'the first heartbeat');
      const afterStop = await handle.executeUpdate(stopDeskUpdate, { args: [{ by: 'op-1', reason: 'test over' }] });
      expect(afterStop.stopping).toBe(true);
      const result = await handle.result();
      expect(result).toMatchObject({ desk: 'test', beats: 1, lastWorker: 'worker-a', stoppedBy: 'op-1' });
      expect((await handle.query(deskStatusQuery)).stoppedBy).toBe('op-1');
      const desc = await handle.describe();
      expect(desc.status.name).toBe('COMPLETED');
    } finally {
      // The next test registers a worker on the same queue: this one must be gone first.
      worker.shutdown();
      await running;
    }
  });

  it('rejects a stopDesk update without a reason and changes nothing', async () => {
    await t.startWorker();
    const handle = await t.client.workflow.start(deskWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: `desk/reject-${t.taskQueue}`,
      args: [{ desk: 'test', profile: 'paper', heartbeatSeconds: 3600 }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
    await expect(handle.executeUpdate(stopDeskUpdate, { args: [{ by: 'op-1', reason: ' ' }] })).rejects.toMatchObject({
      cause: { message: 'reason: required' },
    });
    expect((await handle.query(deskStatusQuery)).stopping).toBe(false);
    await handle.terminate('test cleanup');
  });
});
