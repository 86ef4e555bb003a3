/**
 * Every operator command the CLI and the bot share, once: its arguments (domain/operator-input.ts's
 * schemas, so the workflows' validators agree), what it does with the desk and what it answers. The
 * channels only turn their input into raw fields (flags, words) and show the reply.
 */
import { z } from 'zod';
import type { DeskControl, Operator, OperatorChannel } from '../../clients/desk-control';
import type { Findings } from '../../contracts/incident';
import { accountArg, amountUsdArg, exchangeArg, FindingsInput, idArg, reasonArg, referenceArg, severityArg, stopReason, summaryArg } from '../../domain/operator-input';
import { killSwitch, type DirectCanceller } from '../kill-switch';
import {
  formatBalances,
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
import { CHANNEL_LABEL } from './identity';

/** The incident runbook's operator steps (clients/incident-control.ts implements it). */
export interface IncidentRunbook {
  falsePositive(id: string, op: Operator, reason: string): Promise<{ id: string }>;
  confirmContainment(id: string, op: Operator, approve: boolean): Promise<{ id: string }>;
  recordFindings(id: string, op: Operator, findings: Omit<Findings, 'by'>): Promise<unknown>;
  approveResume(id: string, op: Operator, reason: string): Promise<{ id: string }>;
}

/** What the kill switch needs besides the desk: the sessions to reach without Temporal, and how. */
export interface StopFallback {
  configuredSessions: readonly string[];
  direct?: () => Promise<DirectCanceller>;
  confirmWithinMs?: number;
}

/** What commands act on; each channel builds its own (the CLI per command, the bot once) and passes it in. */
export interface CommandDeps {
  /** Called only when a command runs, so parsing and `--help` need no Temporal. */
  desk(): Promise<DeskControl>;
  incidents?(): Promise<IncidentRunbook>;
  stop: StopFallback;
  /** Every configured account, `<exchange>/<account>`: `session stop` names one of them. */
  accounts?: readonly string[];
}

/** A command's own answer: the reply, what changed (for the audit detail) and, for reads, the data. */
export interface RunResult {
  reply: string;
  detail?: string;
  /** A kill switch that left orders unconfirmed is `failed`. */
  outcome?: 'accepted' | 'failed';
  data?: unknown;
}

/** An argument that is wrong: which (as the core names it) and why. */
export interface ArgProblem {
  field?: string;
  message: string;
}

export type CommandKind = 'read' | 'action';

/** A command whose arguments parsed: ready to run, now or after a confirmation. */
export interface Prepared<C = OperatorCommand> {
  command: C;
  kind: CommandKind;
  /** Channels with buttons ask first (Telegram's /resume); a shell command is its own confirmation. */
  confirm: boolean;
  /** The kill switch: a failure says what the operator can still do, and it never waits on a confirmation. */
  killSwitch: boolean;
  /** What was asked, for the audit detail (`reason "..."`). */
  asked: string;
  /** A rule that needs the deps (a configured account), checked before running. */
  refusal(deps: CommandDeps): ArgProblem | undefined;
  run(deps: CommandDeps, op: Operator): Promise<RunResult>;
}

export type ParseResult<C = OperatorCommand> = { ok: true; prepared: Prepared<C> } | { ok: false; problem: ArgProblem };

interface Spec<A extends object> {
  kind: CommandKind;
  /** Raw fields in, typed arguments out; the channel decides the default reasons' wording. */
  args: (channel: OperatorChannel) => z.ZodType<A>;
  asked?: (a: A) => string;
  check?: (deps: CommandDeps, a: A) => ArgProblem | undefined;
  confirm?: boolean;
  killSwitch?: boolean;
  run: (deps: CommandDeps, op: Operator, a: A) => Promise<RunResult>;
}

export interface CoreCommand<N extends string, A extends object> {
  name: N;
  kind: CommandKind;
  parse(raw: Record<string, unknown>, channel: OperatorChannel): ParseResult<{ name: N } & A>;
}

function define<N extends string, A extends object>(name: N, spec: Spec<A>): CoreCommand<N, A> {
  return {
    name,
    kind: spec.kind,
    parse(raw, channel) {
      const r = spec.args(channel).safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        return { ok: false, problem: { field: issue?.path.length ? String(issue.path[0]) : undefined, message: issue?.message ?? 'invalid' } };
      }
      const args = r.data;
      return {
        ok: true,
        prepared: {
          command: { name, ...args },
          kind: spec.kind,
          confirm: spec.confirm ?? false,
          killSwitch: spec.killSwitch ?? false,
          asked: spec.asked?.(args) ?? '',
          refusal: (deps) => spec.check?.(deps, args),
          run: (deps, op) => spec.run(deps, op, args),
        },
      };
    },
  };
}

const NO_ARGS = () => z.object({}).transform(() => ({}));
const label = (channel: OperatorChannel) => CHANNEL_LABEL[channel];
const quoted = (reason: string) => `reason "${reason}"`;

async function stop(deps: CommandDeps, op: Operator, reason: string, only?: readonly string[]): Promise<RunResult> {
  const result = await killSwitch({ ...deps.stop, desk: () => deps.desk(), ...(only ? { only } : {}) }, op, reason);
  // Nothing reached and nothing to reach directly: the plain failure (the caller says what is left to do).
  if (result.deskError && !result.outcome.unconfirmed.length) throw new Error(result.deskError);
  const { reports, unconfirmed } = result.outcome;
  const cancelled = reports.reduce((n, r) => n + r.cancelled.length, 0);
  const direct = result.direct.map((d) => `${d.session} direct ${d.ok ? `${d.cancelled} cancelled` : `FAILED ${d.error ?? ''}`}`);
  const detail = [`${reports.length} session(s) stopped, ${cancelled} order(s) cancelled`, ...unconfirmed.map((u) => `${u.session}: ${u.why}`), ...direct].join('; ');
  return { reply: formatKillSwitch(result, reason), detail, outcome: result.complete ? 'accepted' : 'failed', data: result };
}

function incidents(deps: CommandDeps): Promise<IncidentRunbook> {
  if (!deps.incidents) throw new Error('the incident runbook is not reachable from this channel');
  return deps.incidents();
}

const idAndReason = () => z.object({ id: idArg, reason: reasonArg });

/** In the order the bot's /help lists them (the kill switch first), then the CLI's own. */
export const CORE_COMMANDS = {
  stop: define('stop', {
    kind: 'action',
    killSwitch: true,
    // The kill switch never refuses because of its reason: it is cleaned and clipped instead.
    args: (channel) => z.object({ reason: z.string().optional() }).transform((a) => ({ reason: stopReason(a.reason, `kill switch via ${label(channel)}`) })),
    asked: (a) => quoted(a.reason),
    run: (deps, op, a) => stop(deps, op, a.reason),
  }),
  'session stop': define('session stop', {
    kind: 'action',
    killSwitch: true,
    args: (channel) =>
      z
        .object({ exchange: exchangeArg, account: accountArg, reason: z.string().optional() })
        .transform((a) => ({ exchange: a.exchange, account: a.account, reason: stopReason(a.reason, `kill switch for one session via ${label(channel)}`) })),
    asked: (a) => `${a.exchange}/${a.account}: ${quoted(a.reason)}`,
    check: (deps, a) =>
      deps.accounts && !deps.accounts.includes(`${a.exchange}/${a.account}`) ? { field: 'exchange/account', message: `${a.exchange}/${a.account} is not a configured account` } : undefined,
    run: (deps, op, a) => stop(deps, op, a.reason, [`${a.exchange}/${a.account}`]),
  }),
  sessions: define('sessions', {
    kind: 'read',
    args: NO_ARGS,
    run: async (deps) => {
      const sessions = await (await deps.desk()).sessions();
      return { reply: formatSessions(sessions), detail: 'read', data: sessions };
    },
  }),
  pause: define('pause', {
    kind: 'action',
    args: (channel) => z.object({ reason: reasonArg.optional() }).transform((a) => ({ reason: a.reason ?? `paused via ${label(channel)}` })),
    asked: (a) => quoted(a.reason),
    run: async (deps, op, a) => {
      const sessions = await (await deps.desk()).pauseAll(op, a.reason);
      return { reply: formatModes('Paused', sessions, a.reason), detail: `${sessions.length} session(s)` };
    },
  }),
  resume: define('resume', {
    kind: 'action',
    confirm: true,
    args: (channel) => z.object({ reason: reasonArg.optional() }).transform((a) => ({ reason: a.reason ?? `resumed via ${label(channel)}` })),
    asked: (a) => quoted(a.reason),
    run: async (deps, op, a) => {
      const sessions = await (await deps.desk()).resumeAll(op, a.reason);
      return { reply: formatModes('Resumed', sessions, a.reason), detail: `${sessions.length} session(s)` };
    },
  }),
  balance: define('balance', {
    kind: 'read',
    args: NO_ARGS,
    run: async (deps) => {
      const sessions = await (await deps.desk()).sessions();
      return { reply: formatBalances(sessions), detail: 'read', data: sessions.map((s) => ({ session: s.session, positions: s.positions })) };
    },
  }),
  pnl: define('pnl', {
    kind: 'read',
    args: NO_ARGS,
    run: async (deps) => {
      const sessions = await (await deps.desk()).sessions();
      return { reply: formatPnl(sessions), detail: 'read', data: sessions.map((s) => ({ session: s.session, ...s.pnl })) };
    },
  }),
  rebalances: define('rebalances', {
    kind: 'read',
    args: NO_ARGS,
    run: async (deps) => {
      const list = await (await deps.desk()).rebalances();
      return { reply: formatRebalances(list), detail: 'read', data: list };
    },
  }),
  approve: define('approve', {
    kind: 'action',
    args: () => z.object({ id: idArg, amountUsd: amountUsdArg, reference: referenceArg }),
    asked: (a) => `rebalance ${a.id}: ${usd(a.amountUsd)} ref "${a.reference}"`,
    run: async (deps, op, a) => {
      const r = await (await deps.desk()).confirmTransfer(a.id, op, { amountUsd: a.amountUsd, reference: a.reference });
      return { reply: `Transfer of ${usd(a.amountUsd)} recorded (ref ${a.reference}).\n${formatRebalance(r)}`, detail: `now ${r.status}` };
    },
  }),
  reject: define('reject', {
    kind: 'action',
    args: idAndReason,
    asked: (a) => `rebalance ${a.id}: ${quoted(a.reason)}`,
    run: async (deps, op, a) => {
      const r = await (await deps.desk()).rejectRebalance(a.id, op, a.reason);
      return { reply: `Rejected.\n${formatRebalance(r)}`, detail: `now ${r.status}` };
    },
  }),
  incidents: define('incidents', {
    kind: 'read',
    args: NO_ARGS,
    run: async (deps) => {
      const list = await (await deps.desk()).incidents();
      return { reply: formatIncidents(list), detail: 'read', data: list };
    },
  }),
  'incident declare': define('incident declare', {
    kind: 'action',
    args: () => z.object({ severity: severityArg, summary: summaryArg }),
    asked: (a) => `${a.severity}: ${a.summary}`,
    run: async (deps, op, a) => {
      const i = await (await deps.desk()).declareIncident(op, { severity: a.severity, summary: a.summary });
      return { reply: `Incident declared.\n${formatIncident(i)}`, detail: `opened ${i.id}` };
    },
  }),
  'incident ack': define('incident ack', {
    kind: 'action',
    args: () => z.object({ id: idArg }),
    asked: (a) => `incident ${a.id}`,
    run: async (deps, op, a) => {
      const i = await (await deps.desk()).acknowledgeIncident(a.id, op);
      return { reply: `Acknowledged.\n${formatIncident(i)}` };
    },
  }),
  // ---- the runbook's later steps (the CLI's; the bot declares and acknowledges) ----
  'incident false-positive': define('incident false-positive', {
    kind: 'action',
    args: idAndReason,
    asked: (a) => `incident ${a.id}: ${quoted(a.reason)}`,
    run: async (deps, op, a) => ({ reply: `${(await (await incidents(deps)).falsePositive(a.id, op, a.reason)).id}: marked false positive` }),
  }),
  'incident contain': define('incident contain', {
    kind: 'action',
    args: () => z.object({ id: idArg, approve: z.boolean({ error: 'must be true or false' }) }),
    asked: (a) => `incident ${a.id}: containment ${a.approve ? 'confirmed' : 'declined'}`,
    run: async (deps, op, a) => ({ reply: `${(await (await incidents(deps)).confirmContainment(a.id, op, a.approve)).id}: containment ${a.approve ? 'confirmed' : 'declined'}` }),
  }),
  'incident findings': define('incident findings', {
    kind: 'action',
    // The recordFindings validator's own schema, less who (the channel knows that).
    args: () => FindingsInput.omit({ by: true }).extend({ id: idArg }),
    asked: (a) => `incident ${a.id}: root cause: ${a.rootCause}${a.keysCompromised ? '; keys compromised' : ''}`,
    run: async (deps, op, { id, ...findings }) => {
      await (await incidents(deps)).recordFindings(id, op, findings);
      return { reply: `${id}: findings recorded` };
    },
  }),
  'incident resume': define('incident resume', {
    kind: 'action',
    args: idAndReason,
    asked: (a) => `incident ${a.id}: ${quoted(a.reason)}`,
    run: async (deps, op, a) => ({ reply: `${(await (await incidents(deps)).approveResume(a.id, op, a.reason)).id}: resume approved` }),
  }),
};

type Table = typeof CORE_COMMANDS;
export type CoreCommandName = keyof Table;

/** Every command with its typed arguments: `{ name: 'approve', id, amountUsd, reference }`. */
export type OperatorCommand = { [N in CoreCommandName]: Extract<ReturnType<Table[N]['parse']>, { ok: true }>['prepared']['command'] }[CoreCommandName];

export const isCoreCommand = (name: string): name is CoreCommandName => Object.hasOwn(CORE_COMMANDS, name);

/** Raw fields (flags, words) in, a command ready to run or the argument that is wrong out. */
export function parseOperatorCommand(name: CoreCommandName, raw: Record<string, unknown>, channel: OperatorChannel): ParseResult {
  return CORE_COMMANDS[name].parse(raw, channel);
}
