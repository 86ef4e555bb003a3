/**
 * The desk's supervisor: one per desk (workflow id `desk/<name>`). It keeps the
 * desk's heartbeat in history so an operator sees in the Web UI that workers are
 * alive and which one answered, and it is where the trading sessions hang from.
 * Its input, status, messages and workflow id are contracts/desk.ts's.
 */
import { checkInput, OperatorRequestInput } from '../domain/operator-input';
import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import { deskStatusQuery, stopDeskUpdate, type DeskInput, type DeskStatus } from '../contracts/desk';

const { checkDeskHealth } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** History stays small: continue-as-new well before Temporal's suggestion would matter. */
const BEATS_PER_RUN = 500;

export async function deskWorkflow(input: DeskInput): Promise<DeskStatus> {
  const status: DeskStatus = { desk: input.desk, profile: input.profile, beats: input.beats ?? 0, stopping: false };
  setHandler(deskStatusQuery, () => status);
  setHandler(
    stopDeskUpdate,
    ({ by }) => {
      status.stopping = true;
      status.stoppedBy = by;
      return status;
    },
    {
      validator: (req) => checkInput(OperatorRequestInput, req),
    },
  );

  const interval = `${input.heartbeatSeconds ?? 30} seconds`;
  for (let i = 0; i < BEATS_PER_RUN && !status.stopping; i++) {
    const beat = await checkDeskHealth({ desk: input.desk });
    status.beats += 1;
    status.lastWorker = beat.worker;
    status.lastBeatAt = beat.at;
    await condition(() => status.stopping, interval);
  }
  if (status.stopping) return status;
  return continueAsNew<typeof deskWorkflow>({ ...input, beats: status.beats });
}
