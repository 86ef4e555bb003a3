import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { WORKFLOWS_PATH } from '../config/paths';
import { SanitizingActivityInbound } from './sanitize-interceptor';
import { defaultWorkerIdentity } from './identity';


export interface DeskWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: Omit<ActivityDeps, 'workerIdentity'> & { workerIdentity?: string };
  /** A prebuilt bundle (tests build one per file); otherwise the worker bundles workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createDeskWorker(opts: DeskWorkerOptions): Promise<Worker> {
  const identity = opts.deps.workerIdentity ?? defaultWorkerIdentity();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    identity,
    activities: createActivities({ ...opts.deps, workerIdentity: identity }),
    interceptors: { activity: [() => ({ inbound: new SanitizingActivityInbound() })] },
    // A dead worker's sticky workflow tasks fall back to the shared queue after this, so the standby takes over fast.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}
