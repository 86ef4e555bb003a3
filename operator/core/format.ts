/**
 * Operator replies: short plain text, a few lines per session, readable on a
 * phone. Pure functions of the desk's data; the bot sends and the CLI prints the same text.
 */
import type { IncidentSummary, RebalanceSummary } from '../../clients/desk-control';
import type { KillSwitchResult } from '../kill-switch';
import type { SessionStatus, StopReport } from '../../contracts/session';

/** Telegram rejects messages over 4096 characters; keep a margin for the marker. */
export const MAX_REPLY = 4000;

export function clip(text: string, max = MAX_REPLY): string {
  return text.length <= max ? text : `${text.slice(0, max - 14).trimEnd()}\n…(truncated)`;
}

export function usd(n: number): string {
  const abs = Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${n < 0 ? '-' : ''}$${abs}`;
}

export function pct(n: number): string {
  return `${n > 0 ? '+' : ''}${n.toFixed(2)}%`;
}

/** `2025-01-15 14:00 UTC`; anything unparseable is shown as given. */
export function when(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function amount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 8 });
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const NO_SESSIONS = 'No running sessions.';

function sessionBlock(s: SessionStatus): string {
  const breaker = s.breaker.status === 'open' ? `breaker OPEN${s.breaker.reason ? ` (${s.breaker.reason})` : ''}` : 'breaker closed';
  const lines = [
    `${s.session}: ${s.mode.toUpperCase()}`,
    `  value ${usd(s.pnl.value)}, day ${pct(s.pnl.dailyPnlPct)}, dd ${pct(s.pnl.drawdownPct)}`,
    `  ${breaker}, ${plural(s.openOrders.length, 'open order')}`,
  ];
  if (s.lastTick) lines.push(`  last tick ${when(s.lastTick.at)}${s.lastTick.worker ? ` on ${s.lastTick.worker}` : ''}`);
  if (s.lastRefusals.length) lines.push(`  refused: ${s.lastRefusals.slice(0, 3).join('; ')}`);
  return lines.join('\n');
}

export function formatSessions(sessions: readonly SessionStatus[]): string {
  if (!sessions.length) return NO_SESSIONS;
  return clip(sessions.map(sessionBlock).join('\n'));
}

export function formatStopped(reports: readonly StopReport[], reason: string): string {
  if (!reports.length) return `STOPPED: no running sessions, nothing to cancel.\nReason: ${reason}`;
  const total = reports.reduce((n, r) => n + r.cancelled.length, 0);
  const lines = [`STOPPED ${plural(reports.length, 'session')}, ${plural(total, 'order')} cancelled.`, `Reason: ${reason}`];
  for (const r of reports) {
    const symbols = [...new Set(r.cancelled.map((o) => o.symbol))];
    lines.push(`${r.session}: ${plural(r.cancelled.length, 'order')} cancelled${symbols.length ? ` (${symbols.join(', ')})` : ''}`);
  }
  lines.push('Resume with /resume once it is safe.');
  return clip(lines.join('\n'));
}

/**
 * The kill switch's reply: what the desk confirmed, then in plain words every session it did not,
 * and what the direct cancel at the venue did about it.
 */
export function formatKillSwitch(result: KillSwitchResult, reason: string): string {
  const { reports, unconfirmed } = result.outcome;
  if (!unconfirmed.length) return formatStopped(reports, reason);
  const total = reports.reduce((n, r) => n + r.cancelled.length, 0);
  const lines = [
    result.complete ? 'STOPPED, with a direct cancel at the venue where the desk did not answer.' : 'STOP NOT CONFIRMED: open orders may remain.',
    `Reason: ${reason}`,
  ];
  if (reports.length) lines.push(`${plural(reports.length, 'session')} confirmed, ${plural(total, 'order')} cancelled:`);
  for (const r of reports) lines.push(`${r.session}: ${plural(r.cancelled.length, 'order')} cancelled`);
  for (const u of unconfirmed) {
    lines.push(`${u.session}: ${u.why}`);
    const d = result.direct.find((x) => x.session === u.session);
    if (!d) lines.push('  no direct cancel available here. Revoke the exchange API keys at the exchange now.');
    else if (d.ok) lines.push(`  cancelled directly at the venue: ${plural(d.cancelled, 'order')} (audited)`);
    else lines.push(`  direct cancel at the venue FAILED: ${d.error ?? 'unknown error'}. Revoke the exchange API keys at the exchange now.`);
  }
  if (unconfirmed.some((u) => u.recorded)) lines.push('The recorded stop takes effect as soon as a worker runs the session.');
  else lines.push('Run `warden stop` again once Temporal answers, so the sessions record the stop.');
  return clip(lines.join('\n'));
}

/** The fallback names what the operator can still do from where they are. */
export function formatStopFailed(message: string, fallback = 'Run `warden stop` from a shell, or revoke the exchange API keys.'): string {
  return `STOP FAILED: ${message}\nTrading may still be running. ${fallback}`;
}

/** After /pause or /resume: one line per session with its new mode. */
export function formatModes(verb: 'Paused' | 'Resumed', sessions: readonly SessionStatus[], reason: string): string {
  if (!sessions.length) return `${verb}: ${NO_SESSIONS.toLowerCase()}`;
  const lines = [`${verb} ${plural(sessions.length, 'session')}. Reason: ${reason}`];
  for (const s of sessions) lines.push(`${s.session}: ${s.mode}${s.breaker.status === 'open' ? ', breaker OPEN' : ''}`);
  return clip(lines.join('\n'));
}

export function formatBalances(sessions: readonly SessionStatus[]): string {
  if (!sessions.length) return NO_SESSIONS;
  const blocks = sessions.map((s) => {
    const assets = Object.entries(s.positions).filter(([, b]) => b.total !== 0);
    if (!assets.length) return `${s.session}: no balances yet`;
    const lines = assets
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([asset, b]) => `  ${asset} ${amount(b.total)}${b.used ? ` (${amount(b.used)} in orders)` : ''}`);
    return [`${s.session}:`, ...lines].join('\n');
  });
  return clip(blocks.join('\n'));
}

export function formatPnl(sessions: readonly SessionStatus[]): string {
  if (!sessions.length) return NO_SESSIONS;
  const books = (b: SessionStatus['books']) =>
    b ? `; realized ${usd(b.realizedPnl)}, unrealized ${usd(b.unrealizedPnl)}, fees ${usd(b.feesPaid)}${b.fillRate !== undefined ? `, fill rate ${(b.fillRate * 100).toFixed(0)}%` : ''}` : '';
  const lines = sessions.map((s) => `${s.session}: ${usd(s.pnl.value)}, day ${pct(s.pnl.dailyPnlPct)}, dd ${pct(s.pnl.drawdownPct)}${books(s.books)}`);
  if (sessions.length > 1) lines.push(`Total: ${usd(sessions.reduce((n, s) => n + s.pnl.value, 0))}`);
  return clip(lines.join('\n'));
}

const REBALANCE_STATUS: Readonly<Record<RebalanceSummary['status'], string>> = {
  awaiting_transfer: 'waiting for your transfer',
  confirming_balance: 'confirming the balance',
  completed: 'completed',
  rejected: 'rejected',
  timed_out: 'timed out',
};

export function formatRebalance(r: RebalanceSummary): string {
  return `${r.id} ${r.session}: ${REBALANCE_STATUS[r.status]}, need ${usd(r.amountNeededUsd)} (warm ${usd(r.warmBalanceUsd)}), since ${when(r.startedAt)}`;
}

export function formatRebalances(list: readonly RebalanceSummary[]): string {
  if (!list.length) return 'No rebalances.';
  const lines = list.map(formatRebalance);
  if (list.some((r) => r.status === 'awaiting_transfer')) lines.push('After the manual transfer: /approve <id> <amountUsd> <reference>');
  return clip(lines.join('\n'));
}

export function formatIncident(i: IncidentSummary): string {
  return `${i.id} ${i.severity} ${i.phase}: ${i.summary} (opened ${when(i.openedAt)}${i.acknowledgedBy ? `, acked by ${i.acknowledgedBy}` : ', not acked'})`;
}

export function formatIncidents(list: readonly IncidentSummary[]): string {
  const open = list.filter((i) => i.phase !== 'closed');
  if (!open.length) return 'No open incidents.';
  return clip(open.map(formatIncident).join('\n'));
}

export function formatFailed(message: string): string {
  return `Failed: ${message}`;
}
