import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMotoServer } from '../../adapters/moto-server';
import { findTemporalCli, startDevServer } from '../../adapters/temporal-dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    motoEndpoint: string;
  }
}

/** One real Temporal dev server and one moto server for the whole run, on free loopback ports. */
export default async function setup(project: TestProject) {
  const binary = findTemporalCli();
  if (!binary) {
    throw new Error('No temporal CLI found: run scripts/install-temporal.sh (or set TEMPORAL_CLI_PATH). Tests never mock Temporal.');
  }
  const dir = mkdtempSync(join(tmpdir(), 'warden-test-'));
  const [temporal, moto] = await Promise.all([
    startDevServer({ binary, dbFile: join(dir, 'temporal.db') }),
    startMotoServer(),
  ]);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', temporal.namespace);
  project.provide('motoEndpoint', moto.endpoint);
  return async () => {
    await Promise.all([temporal.stop(), moto.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
