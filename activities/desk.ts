import { hostname } from 'node:os';
import type { ActivityDeps } from './deps';

export interface DeskBeat {
  worker: string;
  host: string;
  at: string;
}

export function createDeskActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async checkDeskHealth(input: { desk: string }): Promise<DeskBeat> {
      const beat = { worker: deps.workerIdentity, host: hostname(), at: now().toISOString() };
      deps.logger.debug({ desk: input.desk, worker: beat.worker }, 'desk heartbeat');
      return beat;
    },
  };
}
