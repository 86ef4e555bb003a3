import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../adapters/logger';
import { freePort } from '../adapters/free-port';

/**
 * Installs the Temporal core runtime once per process: its logs go through our
 * redacting logger, and its own Prometheus metrics are exported on a loopback
 * port that the desk's /metrics endpoint appends to its own.
 */
export async function installRuntime(logger: Logger): Promise<{ temporalMetricsUrl: string }> {
  const port = await freePort();
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => logger[levels[entry.level]]({ ...entry.meta, src: 'temporal' }, entry.message)),
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
  });
  return { temporalMetricsUrl: `http://127.0.0.1:${port}/metrics` };
}
