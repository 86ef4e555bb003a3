import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../config/paths';

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (msg: string, meta?: Record<string, unknown>) => console.error(msg, meta),
};

/**
 * Bundles workflows/ once for the whole run and returns the file holding it: bundling takes
 * seconds, and every file with a Temporal worker would otherwise bundle the same code again
 * (test/helpers/temporal.ts's workflowBundle reads this one).
 */
export async function bundleWorkflowsOnce(dir: string): Promise<string> {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  const file = join(dir, 'workflows-bundle.json');
  await writeFile(file, JSON.stringify({ code: bundle.code, sourceMap: bundle.sourceMap }));
  return file;
}
