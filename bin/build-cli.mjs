// Builds the `warden` CLI into dist/<build>/ as plain ESM JavaScript (one bundle of
// the project's own modules, split at every dynamic import so each command loads only
// its own code; packages stay external). `npm install` runs it as `prepare`;
// warden.js runs it again when a source file is newer than the build.
// Plain JS on purpose: it must run before anything can compile TypeScript.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const CURRENT = join(DIST, 'current.json');
const ENTRY = 'operator/cli.ts';

function readCurrent() {
  try {
    return JSON.parse(readFileSync(CURRENT, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The current build's entry file, or undefined when missing or older than any of its inputs. */
export function freshBuild() {
  const current = readCurrent();
  if (!current) return undefined;
  try {
    for (const input of [...current.inputs, 'package-lock.json']) {
      if (statSync(join(ROOT, input)).mtimeMs > current.builtAtMs) return undefined;
    }
    statSync(join(DIST, current.dir, 'cli.js'));
  } catch {
    return undefined; // an input was deleted or the build is gone
  }
  return join(DIST, current.dir, 'cli.js');
}

export async function build() {
  const { build: esbuild } = await import('esbuild');
  const builtAtMs = Date.now();
  // A build directory of its own, then an atomic rename of current.json: a CLI
  // starting meanwhile runs the previous build, never a half-written one.
  const dir = `build-${builtAtMs}-${process.pid}`;
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { cli: ENTRY },
    outdir: join(DIST, dir),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p)));
  const tmp = `${CURRENT}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ dir, builtAtMs, inputs }));
  renameSync(tmp, CURRENT);
  // Older builds are kept a minute for CLIs that may still be loading their chunks.
  for (const d of readdirSync(DIST)) {
    if (!d.startsWith('build-') || d === dir) continue;
    const at = Number(d.split('-')[1]);
    if (builtAtMs - at > 60_000) rmSync(join(DIST, d), { recursive: true, force: true });
  }
  return join(DIST, dir, 'cli.js');
}

/** The entry of a build no older than its sources, building one first if need be. */
export async function ensureBuilt() {
  return freshBuild() ?? (await build());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(DIST, { recursive: true });
  const entry = await build();
  console.error(`warden CLI built: ${relative(ROOT, entry)}`);
}
