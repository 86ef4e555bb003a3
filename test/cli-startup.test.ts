import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildProgram } from '../operator/cli';
import { COMMANDS } from '../operator/command-index';
import { DEFAULT_CONFIG_PATH } from '../config/paths';
import { userInfo } from 'node:os';
import { AuditTrail } from '../adapters/audit/trail';
import { verifyEvents } from '../adapters/audit/verify';

const run = promisify(execFile);
const FORBID = join(import.meta.dirname, 'fixtures', 'forbid-worker-import.mjs');

/** Runs the real CLI (compiled bundle through bin/warden.js) with worker imports forbidden. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('node', ['--import', FORBID, 'bin/warden.js', ...args], { timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

let dir: string;
let config: string;
/** The accounts' name in this file's config. */
let own: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-cli-'));
  const paper = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as { temporal: { address: string }; desk: { name: string; stateDir: string }; exchanges: Array<{ account: string }> };
  paper.temporal.address = inject('temporalAddress');
  // Names of its own: a closed workflow of another file's (desk/paper, session/okx/paper) would be
  // queried through a worker that no longer runs, and each command would wait out the query timeout.
  own = `cli${randomUUID().slice(0, 8)}`;
  paper.desk = { name: own, stateDir: join(dir, 'state') };
  for (const x of paper.exchanges) x.account = own;
  config = join(dir, 'warden.yaml');
  writeFileSync(config, stringify(paper));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI loads lazily and client commands never load the worker', () => {
  it('the guard works: `warden worker`, which does need the worker and its workflows, fails under it', async () => {
    const r = await cli(['--config', config, 'worker']);
    expect(r.code).not.toBe(0);
    // Whichever the loader reaches first: the chunk bundling the desk workflow, or the worker package.
    expect(r.stderr).toMatch(/FORBIDDEN_IMPORT (@temporalio\/worker|workflow code workflows\/)/);
  });

  it('the guard refuses the worker package, a workflow source file, and a CLI chunk that bundles workflow code', async () => {
    const load = (what: string, ...flags: string[]) =>
      run('node', ['--import', FORBID, ...flags, '--input-type=module', '-e', `await import(${JSON.stringify(what)})`]).then(
        () => '',
        (e: { stderr?: string }) => e.stderr ?? '',
      );
    expect(await load('@temporalio/worker')).toContain('FORBIDDEN_IMPORT @temporalio/worker');
    expect(await load('./workflows/desk.ts', '--import', 'tsx')).toContain('FORBIDDEN_IMPORT workflow code workflows/desk.ts');
    // The bundled CLI: `warden dev` and `warden worker` start the desk workflow by function, so one chunk holds its code.
    const { dir: build } = JSON.parse(readFileSync('dist/current.json', 'utf8')) as { dir: string };
    const chunks = readdirSync(join('dist', build)).filter((f) => f.endsWith('.js.map'));
    const bundling = chunks.find((f) => (JSON.parse(readFileSync(join('dist', build, f), 'utf8')) as { sources: string[] }).sources.some((s) => s.includes('workflows/')));
    expect(bundling).toBeDefined();
    expect(await load(pathToFileURL(join('dist', build, bundling!.replace(/\.map$/, ''))).href)).toMatch(/FORBIDDEN_IMPORT workflow code workflows\/\S+\.ts \(bundled in dist\//);
    // Neither refuses what clients do load: the contracts beside the workflows.
    expect(await load('./contracts/desk.ts', '--import', 'tsx')).toBe('');
  });

  it('--help lists every command from the index without loading a command module', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('the index and the registered commands agree on names and summaries', async () => {
    const program = await buildProgram(() => undefined);
    const registered = Object.fromEntries(program.commands.map((c) => [c.name(), c.description()]));
    expect(registered).toEqual(Object.fromEntries(Object.entries(COMMANDS).map(([n, c]) => [n, c.summary])));
  });

  it.each([
    ['status'],
    ['sessions'],
    ['stop', '--reason', 'cli layering test'],
    ['pause', '--reason', 'cli layering test'],
    ['resume', '--reason', 'cli layering test'],
    ['balance'],
    ['pnl'],
    ['rebalances'],
    ['incidents'],
    ['session', 'status'],
    ['incident', 'status', 'incident/none'],
    ['config', 'check'],
    ['alerts', 'test'],
    ['schedules', 'list'],
  ])('`warden %s` runs against Temporal without loading a worker module', async (...args: string[]) => {
    const r = await cli(['--config', config, ...args]);
    expect(r.stderr).not.toContain('FORBIDDEN_IMPORT');
    // It got as far as Temporal: success, or a Temporal answer such as "workflow not found".
    expect(r.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });

  it('the other operator actions reach Temporal too, and are audited when they fail', async () => {
    for (const args of [
      ['approve', 'rebalance/none', '--amount', '5', '--reference', 'tx 123'],
      ['reject', 'rebalance/none', '--reason', 'cli layering test'],
      ['incident', 'ack', 'incident/none'],
      ['session', 'stop', '--exchange', 'okx', '--account', own, '--reason', 'cli layering test'],
    ]) {
      const r = await cli(['--config', config, ...args]);
      expect(r.stderr).not.toContain('FORBIDDEN_IMPORT');
    }
  });

  it("every operator action run above is on the CLI's own trail, once each; read-only commands are not", async () => {
    // Runs after the commands above (one file runs its tests in order): each action left an event.
    const trail = await AuditTrail.open({ dir: join(dir, 'state', 'cli', 'audit') });
    const commands = trail.events().filter((e) => e.type === 'operator_command');
    expect(verifyEvents(trail.events(), 'cli spool').ok).toBe(true);
    expect(trail.writer).toMatch(/^cli-/);
    await trail.close();
    // Exactly once each: the operator core writes these, the CLI's after-the-fact audit does not again.
    expect(commands.map((e) => e.data.command)).toEqual(['stop', 'pause', 'resume', 'approve', 'reject', 'incident ack', 'session stop']);
    expect(commands.slice(3, 6).map((e) => e.data.outcome)).toEqual(['failed', 'failed', 'failed']);
    const me = `cli:${userInfo().username}`;
    for (const e of commands) expect(e).toMatchObject({ actor: me, data: { operator: me, channel: 'cli', outcome: expect.stringMatching(/^(accepted|failed)$/) } });
    expect(commands[0]!.data.detail).toContain('cli layering test');

    // Secret reads go to the same trail (not stderr), followed by the command that made them.
    await run('node', ['--import', FORBID, 'bin/warden.js', '--config', config, 'keys', 'audit']).catch(() => undefined);
    const after = await AuditTrail.open({ dir: join(dir, 'state', 'cli', 'audit') });
    const fresh = after.events().slice(trail.events().length);
    await after.close();
    expect(fresh.map((e) => e.type)).toEqual([...Array.from({ length: fresh.length - 1 }, () => 'secret_access'), 'operator_command']);
    expect(fresh.length).toBeGreaterThan(1);
    expect(fresh.at(-1)).toMatchObject({ data: { command: 'keys audit', outcome: 'failed' } });
  });
});
