import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found from this module's own location, so paths hold
 * the same whether it runs from source (tsx, vitest) or from the compiled CLI
 * in `dist/<build>/`.
 */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'warden') return dir;
    if (dirname(dir) === dir) throw new Error(`no warden package.json above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** The embedded default: what `npm start` runs when no config is named. */
export const DEFAULT_CONFIG_PATH = join(PROJECT_ROOT, 'config', 'paper.yaml');

/** The workflow sources the worker bundles (the bundler reads TypeScript, never the compiled CLI). */
export const WORKFLOWS_PATH = join(PROJECT_ROOT, 'workflows', 'index.ts');

export const RUNBOOKS_DIR = join(PROJECT_ROOT, 'ops', 'runbooks');
