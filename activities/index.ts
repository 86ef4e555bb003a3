/**
 * Activities are thin: each one calls an adapter handed in through `deps`, so
 * tests and entry points wire real or local adapters without touching them.
 */
import { hostname } from 'node:os';
import type { Logger } from '../adapters/logger';
import type { DeskMetrics } from '../adapters/metrics';

export interface ActivityDeps {
  logger: Logger;
  metrics: DeskMetrics;
  /** Names this worker in results, so sessions can see a failover. */
  workerIdentity: string;
  now?: () => Date;
}

export interface DeskBeat {
  worker: string;
  host: string;
  at: string;
}

export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async checkDeskHealth(input: { desk: string }): Promise<DeskBeat> {
      const beat = { worker: deps.workerIdentity, host: hostname(), at: now().toISOString() };
      deps.logger.debug({ desk: input.desk, worker: beat.worker }, 'desk heartbeat');
      return beat;
    },
  };
}

export type DeskActivities = ReturnType<typeof createActivities>;
