/**
 * The desk's Temporal Schedules for the security procedures: the daily API-key
 * audit and the daily rotation check. `applySchedules` is idempotent: it
 * creates what is missing, updates what differs, and leaves the rest alone.
 */
import { createHash } from 'node:crypto';
import type { Workflow } from '@temporalio/common';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { WardenConfig } from '../config/schema';
import { keyAuditWorkflowType, type KeyAuditWorkflowInput } from '../contracts/key-audit';
import { dailyReportWorkflowType, rotationCheckWorkflowType, type RotationCheckInput } from '../contracts/rotation';

export const KEY_AUDIT_SCHEDULE_ID = 'key-audit';
export const ROTATION_CHECK_SCHEDULE_ID = 'rotation-check';
export const DAILY_REPORT_SCHEDULE_ID = 'daily-report';
export const SECURITY_SCHEDULE_IDS = [KEY_AUDIT_SCHEDULE_ID, ROTATION_CHECK_SCHEDULE_ID, DAILY_REPORT_SCHEDULE_ID] as const;

/** The action memo field holding a hash of what we asked for: tells "unchanged" from "needs an update". */
const SPEC_MEMO = 'wardenSpec';

export interface ScheduleDefinition {
  id: string;
  description: string;
  /** UTC time of day the schedule fires. */
  at: { hour: number; minute: number };
  options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>>;
}

/** Operators allowed to confirm a rotation: Telegram ids and CLI users, as the workflows name them. */
export function rotationOperators(config: WardenConfig): string[] {
  return [...(config.telegram?.operatorIds ?? []).map((id) => `tg:${id}`), ...(config.wallets?.cliOperators ?? []).map((u) => `cli:${u}`)];
}

function define(
  config: WardenConfig,
  id: string,
  description: string,
  at: { hour: number; minute: number },
  /** By name (contracts/): the CLI applies schedules and loads no workflow code. */
  workflowType: string,
  args: unknown[],
): ScheduleDefinition {
  const wanted = { workflowType, taskQueue: config.temporal.taskQueue, args, at };
  const hash = createHash('sha256').update(JSON.stringify(wanted)).digest('hex').slice(0, 16);
  return {
    id,
    description,
    at,
    options: {
      scheduleId: id,
      spec: { calendars: [{ hour: at.hour, minute: at.minute, comment: description }] },
      action: {
        type: 'startWorkflow',
        workflowType,
        // Each run's id is this plus the scheduled time.
        workflowId: id,
        taskQueue: config.temporal.taskQueue,
        args,
        memo: { [SPEC_MEMO]: hash },
        staticSummary: description,
      },
      // A daily check that is still running (or missed while Temporal was down) is not doubled up.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
  };
}

/** What the schedules run, from the config: its accounts, rotation interval and operators. */
export function securitySchedules(config: WardenConfig): ScheduleDefinition[] {
  const keyAudit: KeyAuditWorkflowInput = {
    accounts: config.exchanges.map((x) => ({ exchange: x.exchange, account: x.account })),
    requestedBy: `schedule:${KEY_AUDIT_SCHEDULE_ID}`,
  };
  const rotation: RotationCheckInput = {
    accounts: config.exchanges.map((x) => ({ exchange: x.exchange, account: x.account, symbols: x.symbols })),
    intervalDays: config.secrets.rotationDays,
    operators: rotationOperators(config),
    rotate: { cacheTtlSeconds: config.secrets.cacheTtlSeconds },
  };
  return [
    define(config, KEY_AUDIT_SCHEDULE_ID, 'Daily API-key audit of every configured account', { hour: 5, minute: 0 }, keyAuditWorkflowType, [keyAudit]),
    define(config, ROTATION_CHECK_SCHEDULE_ID, `Daily credential rotation check (${config.secrets.rotationDays} days)`, { hour: 5, minute: 15 }, rotationCheckWorkflowType, [rotation]),
    // The seed's INFO daily report: P&L, balances, breaker state, open incidents.
    define(config, DAILY_REPORT_SCHEDULE_ID, 'Daily report (INFO)', { hour: 7, minute: 0 }, dailyReportWorkflowType, []),
  ];
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export async function applySchedules(client: Client, config: WardenConfig): Promise<Array<{ id: string; outcome: ApplyOutcome }>> {
  const out: Array<{ id: string; outcome: ApplyOutcome }> = [];
  for (const def of securitySchedules(config)) {
    try {
      await client.schedule.create(def.options);
      out.push({ id: def.id, outcome: 'created' });
      continue;
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
    const handle = client.schedule.getHandle(def.id);
    const current = await handle.describe();
    const wanted = def.options.action.memo?.[SPEC_MEMO];
    if (current.action.memo?.[SPEC_MEMO] === wanted) {
      out.push({ id: def.id, outcome: 'unchanged' });
      continue;
    }
    await handle.update((prev) => ({ ...prev, spec: def.options.spec, action: def.options.action, policies: { ...prev.policies, ...def.options.policies } }));
    out.push({ id: def.id, outcome: 'updated' });
  }
  return out;
}

export interface ScheduleView {
  id: string;
  found: boolean;
  workflowType?: string;
  taskQueue?: string;
  paused?: boolean;
  nextRun?: string;
  lastRun?: { at: string; workflowId: string };
}

/** The security schedules as Temporal has them (`found: false` for one never applied). */
export async function describeSchedules(client: Client, ids: readonly string[] = SECURITY_SCHEDULE_IDS): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for (const id of ids) {
    try {
      const d = await client.schedule.getHandle(id).describe();
      const last = d.info.recentActions[d.info.recentActions.length - 1];
      views.push({
        id,
        found: true,
        workflowType: d.action.workflowType,
        taskQueue: d.action.taskQueue,
        paused: d.state.paused,
        nextRun: d.info.nextActionTimes[0]?.toISOString(),
        ...(last ? { lastRun: { at: last.takenAt.toISOString(), workflowId: last.action.workflow.workflowId } } : {}),
      });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      views.push({ id, found: false });
    }
  }
  return views;
}
