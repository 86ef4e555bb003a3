import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../config/paths';

/**
 * The launcher of Temporal's time-skipping test server: TEMPORAL_TEST_SERVER_PATH (CI's
 * install job sets it), else what scripts/ensure-temporal-test-server.sh provides (cached
 * after the first run, so a developer's `npm test` needs no extra step).
 */
export async function provisionTestServer(progress: (line: string) => void): Promise<string> {
  const given = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (given) {
    accessSync(given, constants.X_OK);
    return given;
  }
  const script = join(PROJECT_ROOT, 'scripts', 'ensure-temporal-test-server.sh');
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const line of c.toString().split('\n')) if (line.startsWith('ensure-temporal-test-server:')) progress(line);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const path = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !path) throw new Error(`scripts/ensure-temporal-test-server.sh failed (exit ${code}):\n${stderr.slice(-2000)}`);
  return path;
}
