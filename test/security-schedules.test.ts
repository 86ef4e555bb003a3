import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { buildProgram } from '../operator/cli';
import { SECURITY_SCHEDULE_IDS, type ScheduleView } from '../workers/schedules';
import type { KeyAuditReport } from '../contracts/key-audit';
import type { RotationCheckReport } from '../contracts/rotation';
import { tempDir } from './helpers/audit';
import { daysAgo, plusDays } from './helpers/clock';
import { ExchangeHarness } from './helpers/exchange';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

const run = promisify(execFile);
let h: ExchangeHarness;
let t: TemporalHarness;
let dir: string;
// 29 days old by the test clock: not yet due at the 30-day interval the test applies.
const KEY_CREATED_AT = daysAgo(29);

function writeConfig(extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'warden.json');
  writeFileSync(
    path,
    JSON.stringify({
      profile: 'paper',
      desk: { name: 'sched', stateDir: h.stateDir },
      temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue: t.taskQueue },
      secrets: { provider: 'local-file' },
      exchanges: [{ exchange: 'binance', account: 'sch1', baseUrl: h.sim.url, symbols: ['BTC/USDT'] }],
      ...extra,
    }),
  );
  return path;
}

/** In-process, as `warden` parses it (each CLI process spends seconds starting tsx); the last step runs the real binary. */
async function warden(config: string, ...args: string[]): Promise<string> {
  const lines: string[] = [];
  await (await buildProgram((l) => lines.push(l))).parseAsync(['node', 'warden', '--config', config, ...args]);
  return lines.map((l) => `${l}\n`).join('');
}
const wardenProcess = (config: string, ...args: string[]) => run('node', ['bin/warden.js', '--config', config, ...args]).then((r) => r.stdout);

beforeAll(async () => {
  h = await ExchangeHarness.start(31);
  t = await temporalHarness();
  dir = tempDir();
  h.addKey('binance', 'sch1', { createdAt: KEY_CREATED_AT });
  const gateways = new CcxtGatewayProvider({ secrets: h.secrets(), accounts: h.accounts('sch1'), enableRateLimit: false, timeoutMs: 3000 });
  await t.startWorker({ gateways, secrets: h.secrets(), audit: h.audit });
});
afterAll(async () => {
  for (const id of SECURITY_SCHEDULE_IDS) await t?.client.schedule.getHandle(id).delete().catch(() => undefined);
  await t?.close();
  await h?.close();
});

describe('warden schedules apply / list', () => {
  it('creates the daily schedules once, leaves them alone on a second apply, updates on a config change, and a triggered run completes', async () => {
    const config = writeConfig();
    for (const id of SECURITY_SCHEDULE_IDS) await t.client.schedule.getHandle(id).delete().catch(() => undefined);
    expect(await warden(config, 'schedules', 'list')).toBe(
      'key-audit  missing (run warden schedules apply)\nrotation-check  missing (run warden schedules apply)\ndaily-report  missing (run warden schedules apply)\n',
    );

    expect(await warden(config, 'schedules', 'apply')).toBe('key-audit: created\nrotation-check: created\ndaily-report: created\n');
    expect(await warden(config, 'schedules', 'apply')).toBe('key-audit: unchanged\nrotation-check: unchanged\ndaily-report: unchanged\n');
    const changed = writeConfig({ secrets: { provider: 'local-file', rotationDays: 30 } });
    expect(await warden(changed, 'schedules', 'apply')).toBe('key-audit: unchanged\nrotation-check: updated\ndaily-report: unchanged\n');

    const views = JSON.parse(await warden(config, 'schedules', 'list', '--json')) as ScheduleView[];
    expect(views.map((v) => [v.id, v.found, v.workflowType, v.taskQueue])).toEqual([
      ['key-audit', true, 'keyAuditWorkflow', t.taskQueue],
      ['rotation-check', true, 'rotationCheckWorkflow', t.taskQueue],
      ['daily-report', true, 'dailyReportWorkflow', t.taskQueue],
    ]);
    // nextRun comes from the Temporal server's schedule, which keeps real time.
    for (const v of views) expect(Date.parse(v.nextRun!) - Date.now()).toBeLessThanOrEqual(86_400_000);
    const rotationArgs = (await t.client.schedule.getHandle('rotation-check').describe()).action.args as Array<{ intervalDays: number }>;
    expect(rotationArgs[0]!.intervalDays).toBe(30);

    // Trigger each schedule now: the workflow it starts runs to completion on the desk's task queue.
    const triggered = async <T>(id: string): Promise<T> => {
      const handle = t.client.schedule.getHandle(id);
      await handle.trigger();
      const d = await waitFor(() => handle.describe(), (x) => x.info.recentActions.length > 0, 20_000, `${id} to start a run`);
      return t.client.workflow.getHandle(d.info.recentActions[0]!.action.workflow.workflowId).result() as Promise<T>;
    };
    const audit = await triggered<KeyAuditReport>('key-audit');
    expect(audit).toMatchObject({ critical: 0, failed: 0 });
    expect(audit.accounts.map((a) => [a.exchange, a.account, a.findings.map((f) => f.code)])).toEqual([['binance', 'sch1', ['ok']]]);
    const rotation = await triggered<RotationCheckReport>('rotation-check');
    expect(rotation.intervalDays).toBe(30);
    // The age is the worker's clock against created_at: 29 days whatever the calendar (or the test clock's shift) says.
    expect(rotation.checked).toEqual([
      expect.objectContaining({ exchange: 'binance', account: 'sch1', purpose: 'trading', createdAt: KEY_CREATED_AT, ageDays: 29, dueAt: plusDays(KEY_CREATED_AT, 30), due: false }),
    ]);

    const listed = await wardenProcess(config, 'schedules', 'list');
    expect(listed).toMatch(new RegExp(`^key-audit  keyAuditWorkflow on ${t.taskQueue}  next \\S+  last \\S+ key-audit-\\S+$`, 'm'));
  });
});
