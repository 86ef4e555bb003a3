import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMotoServer } from '../../adapters/moto-server';
import { startProvisionedDevServer } from '../../adapters/temporal-dev-server';
import { ensureBuilt } from '../../bin/build-cli.mjs';
import { provisionTestServer } from './test-server';
import { bundleWorkflowsOnce } from './workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    motoEndpoint: string;
    /** Launcher of the time-skipping test server (test/helpers/time-skipping.ts starts one per file). */
    temporalTestServer: string;
    /** workflows/ bundled once for every file's workers (test/helpers/temporal.ts). */
    workflowBundleFile: string;
  }
}

/**
 * One real Temporal dev server and one moto server for the whole run, on free loopback ports,
 * the time-skipping test server's launcher for the files that start their own, and the
 * workflows' bundle every file's workers share.
 */
export default async function setup(project: TestProject) {
  // Tests spawn `node bin/warden.js` in parallel: build the CLI once here, not in each of them.
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'warden-test-'));
  // Tests never mock Temporal: without a CLI this fetches the pinned one, or fails naming every source tried.
  const [temporal, moto, testServer, bundleFile] = await Promise.all([
    startProvisionedDevServer({ dbFile: join(dir, 'temporal.db'), progress: (l) => console.error(l) }),
    startMotoServer(),
    provisionTestServer((l) => console.error(l)),
    bundleWorkflowsOnce(dir),
  ]);
  console.error(`test setup: Temporal ${temporal.how} at ${temporal.address}`);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', temporal.namespace);
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('temporalTestServer', testServer);
  project.provide('workflowBundleFile', bundleFile);
  return async () => {
    await Promise.all([temporal.stop(), moto.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
