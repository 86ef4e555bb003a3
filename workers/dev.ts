import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { isListening } from '../adapters/free-port';
import { startProvisionedDevServer, waitForTemporal } from '../adapters/temporal-dev-server';
import { createLogger } from '../adapters/logger';
import { ensureDeskWorkflow, startDeskWorker } from './desk-process';
import { untilSignal } from './until-signal';
import { startPaperVenue } from './paper-venue';
import { startConfiguredSessions } from './sessions';

export const DEV_UI_PORT = 8233;

interface TemporalForDev {
  how: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** Reuse a server already on the configured address, else start a dev server from the pinned CLI (fetched if need be). */
async function temporalForDev(loaded: LoadedConfig, uiPort: number): Promise<TemporalForDev> {
  const [host = '127.0.0.1', portText = '7233'] = loaded.config.temporal.address.split(':');
  const port = Number(portText);
  if (await isListening(host, port)) {
    await waitForTemporal(loaded.config.temporal.address, 15_000);
    return { how: `reusing the Temporal server already at ${host}:${port}`, uiUrl: `http://${host}:${uiPort}`, stop: async () => undefined };
  }
  const dbFile = join(loaded.stateDir, 'temporal.db');
  const server = await startProvisionedDevServer({ ip: host, port, uiPort, dbFile, progress: (line) => console.log(line) });
  return { how: `started ${server.how}, history kept in ${dbFile}`, uiUrl: server.uiUrl, stop: server.stop };
}

/** `npm start`: the whole paper desk on this machine, until Ctrl-C. */
export async function runDev(configured: LoadedConfig, opts: { uiPort?: number; simPort?: number } = {}): Promise<void> {
  const logger = createLogger();
  mkdirSync(configured.stateDir, { recursive: true });
  if (configured.config.profile !== 'paper') throw new Error('warden dev runs the paper desk only; run `warden worker` against your production Temporal');
  const temporal = await temporalForDev(configured, opts.uiPort ?? DEV_UI_PORT);
  const { sim, loaded } = await startPaperVenue(configured, { port: opts.simPort });
  const desk = await startDeskWorker(loaded, logger);
  const workflowId = await ensureDeskWorkflow(desk.client, loaded);
  const sessions = await startConfiguredSessions(desk.client, loaded.config);
  console.log(
    [
      '',
      `Warden paper desk "${loaded.config.desk.name}" is running (${loaded.config.profile} profile).`,
      `  Temporal:  ${temporal.how}`,
      `  Web UI:    ${temporal.uiUrl ?? '(not served)'}/namespaces/${loaded.config.temporal.namespace}/workflows`,
      `  Desk:      workflow ${workflowId} on task queue ${loaded.config.temporal.taskQueue}`,
      `  Venue:     exchange simulator at ${sim.url} (binance, okx, bybit; paper keys in ${loaded.stateDir})`,
      `  Sessions:  ${sessions.length ? sessions.join(', ') : '(no account has a strategy)'}`,
      `  Metrics:   ${desk.metrics.url}`,
      `  State:     ${loaded.stateDir}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const signal = await untilSignal();
  console.log(`\n${signal}: shutting down the worker, then Temporal...`);
  // Sessions stay in Temporal; the next `npm start` picks them up where they were.
  await desk.close();
  await sim.close();
  await temporal.stop();
  console.log('Stopped.');
}
