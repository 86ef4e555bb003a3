import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJson } from './helpers/history-json';
import { workflowBundle } from './helpers/temporal';

/**
 * Temporal determinism across deploys: histories recorded by an older commit's workflows
 * (test/fixtures/histories/README.md names it) must replay with today's code. A workflow that
 * changes its commands (a new activity, timer or child, a reordering) without patched() fails
 * here before it fails every workflow in flight. Never re-record to make this pass.
 */
const DIR = fileURLToPath(new URL('./fixtures/histories/', import.meta.url));
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const history = historyFromJson(readFileSync(join(DIR, file), 'utf8'));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    return { file, history, workflowId: started?.workflowId || file, workflowType: started?.workflowType?.name ?? '(none)' };
  });

beforeAll(async () => {
  try {
    // A failing replay is reported by the test itself; the SDK core's own warning about it is noise.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // Already installed in this process.
  }
  await workflowBundle();
});

describe('recorded workflow histories replay with the current workflow code', () => {
  it('covers every long-running procedure of the desk', () => {
    const types = new Set(fixtures.map((f) => f.workflowType));
    for (const t of ['tradingSessionWorkflow', 'incidentWorkflow', 'rebalanceWorkflow', 'rotateCredentialWorkflow', 'keyAuditWorkflow', 'deskWorkflow']) expect(types, t).toContain(t);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s', async (file, f) => {
    const replayed = Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: `replay-${file}` }, f.history, f.workflowId);
    await replayed.catch((err: Error) => {
      throw new Error(`${f.workflowType} (${file}) no longer replays: ${err.name}: ${err.message}. Guard the change with patched(); never re-record the history to make this pass.`, { cause: err });
    });
  });

  it('fails a workflow whose commands changed without patched() (the control)', async () => {
    const desk = fixtures.find((f) => f.workflowType === 'deskWorkflow')!;
    const changed = await workflowBundle(fileURLToPath(new URL('./fixtures/replay-changed-workflows.ts', import.meta.url)));
    await expect(Worker.runReplayHistory({ workflowBundle: changed, replayName: 'replay-control' }, desk.history, desk.workflowId)).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });
});
