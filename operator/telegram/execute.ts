/**
 * Runs one validated operator command against the desk and says what to
 * reply and what to write in the audit trail. `/resume` is not here: it only
 * runs after its confirmation button (see bot.ts).
 */
import type { DeskControl, Operator } from '../../clients/desk-control';
import { killSwitch, type DirectCanceller } from '../kill-switch';
import type { OperatorCommand } from './commands';
import {
  formatBalances,
  formatHelp,
  formatIncident,
  formatIncidents,
  formatKillSwitch,
  formatModes,
  formatPnl,
  formatRebalance,
  formatRebalances,
  formatSessions,
  usd,
} from './format';

export interface CommandResult {
  reply: string;
  /** How the audit trail records it; a kill switch that left orders unconfirmed is `failed`. */
  outcome?: 'accepted' | 'failed';
  /** Short audit detail: what was asked and what changed. */
  detail: string;
}

export type ImmediateCommand = Exclude<OperatorCommand, { name: 'resume' }>;

/** What the kill switch needs besides the desk: the sessions to reach without Temporal, and how. */
export interface StopFallback {
  configuredSessions: readonly string[];
  direct?: () => Promise<DirectCanceller>;
  confirmWithinMs?: number;
}

export async function runCommand(desk: DeskControl, op: Operator, cmd: ImmediateCommand, fallback: StopFallback = { configuredSessions: [] }): Promise<CommandResult> {
  switch (cmd.name) {
    case 'stop': {
      const result = await killSwitch({ ...fallback, desk: () => Promise.resolve(desk) }, op, cmd.reason);
      // Nothing reached and nothing to reach directly: the plain failure, as before.
      if (result.deskError && !result.outcome.unconfirmed.length) throw new Error(result.deskError);
      const { reports, unconfirmed } = result.outcome;
      const cancelled = reports.reduce((n, r) => n + r.cancelled.length, 0);
      const direct = result.direct.map((d) => `${d.session} direct ${d.ok ? `${d.cancelled} cancelled` : `FAILED ${d.error ?? ''}`}`);
      const detail = [`reason "${cmd.reason}"; ${reports.length} session(s) stopped, ${cancelled} order(s) cancelled`, ...unconfirmed.map((u) => `${u.session}: ${u.why}`), ...direct].join('; ');
      return { reply: formatKillSwitch(result, cmd.reason), detail, outcome: result.complete ? 'accepted' : 'failed' };
    }
    case 'pause': {
      const sessions = await desk.pauseAll(op, cmd.reason);
      return { reply: formatModes('Paused', sessions, cmd.reason), detail: `reason "${cmd.reason}"; ${sessions.length} session(s)` };
    }
    case 'status':
      return { reply: formatSessions(await desk.sessions()), detail: 'read' };
    case 'balance':
      return { reply: formatBalances(await desk.sessions()), detail: 'read' };
    case 'pnl':
      return { reply: formatPnl(await desk.sessions()), detail: 'read' };
    case 'rebalances':
      return { reply: formatRebalances(await desk.rebalances()), detail: 'read' };
    case 'incidents':
      return { reply: formatIncidents(await desk.incidents()), detail: 'read' };
    case 'approve': {
      const r = await desk.confirmTransfer(cmd.id, op, { amountUsd: cmd.amountUsd, reference: cmd.reference });
      return {
        reply: `Transfer of ${usd(cmd.amountUsd)} recorded (ref ${cmd.reference}).\n${formatRebalance(r)}`,
        detail: `rebalance ${cmd.id}: ${usd(cmd.amountUsd)} ref "${cmd.reference}"; now ${r.status}`,
      };
    }
    case 'reject': {
      const r = await desk.rejectRebalance(cmd.id, op, cmd.reason);
      return { reply: `Rejected.\n${formatRebalance(r)}`, detail: `rebalance ${cmd.id}: reason "${cmd.reason}"; now ${r.status}` };
    }
    case 'incident': {
      const i = await desk.declareIncident(op, { severity: cmd.severity, summary: cmd.summary });
      return { reply: `Incident declared.\n${formatIncident(i)}`, detail: `${i.id} ${i.severity}: ${cmd.summary}` };
    }
    case 'ack': {
      const i = await desk.acknowledgeIncident(cmd.id, op);
      return { reply: `Acknowledged.\n${formatIncident(i)}`, detail: `incident ${cmd.id}` };
    }
    case 'help':
      return { reply: formatHelp(), detail: 'read' };
  }
}
