import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('warden CLI (as `npx warden` runs it)', () => {
  it('lists its commands in --help', async () => {
    const { stdout } = await run('node', ['bin/warden.js', '--help']);
    for (const cmd of ['dev', 'worker', 'config', 'status']) expect(stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
  });

  it('rejects a bad config with the field and rule, exit 2, before touching anything', async () => {
    const err = await run('node', ['bin/warden.js', '--config', 'test/fixtures/bad-risk.yaml', 'config', 'check']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('risk.maxLeverage: must be at least 1');
  });

  it('rejects a bad CLI argument naming the flag', async () => {
    const err = await run('node', ['bin/warden.js', 'dev', '--ui-port', 'abc']).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('--ui-port: must be a port number 1-65535 (got "abc")');
  });
});
