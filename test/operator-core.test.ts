/**
 * The operator core (operator/core/): one path for the CLI and the bot. What each command answers,
 * what it refuses and that it is audited exactly once per invocation, on each channel.
 */
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertRouter } from '../adapters/alerts/router';
import type { AuditEventInput } from '../adapters/audit/events';
import type { AuditRecorder, AuditTrail } from '../adapters/audit/trail';
import { createLogger } from '../adapters/logger';
import type { DeskControl, Operator } from '../clients/desk-control';
import { WardenConfig } from '../config/schema';
import { OperatorAckInput } from '../domain/operator-input';
import { AUDITED_COMMANDS, type CliContext } from '../operator/cli';
import { registerIncidentCommands } from '../operator/commands/incident';
import { registerOperateCommands } from '../operator/commands/operate';
import { registerSessionCommands } from '../operator/commands/session';
import type { CommandAudit, OperatorCommandEvent } from '../operator/core/audit';
import { CORE_COMMANDS, type CoreCommandName, type IncidentRunbook } from '../operator/core/commands';
import { cliOperator, operatorFor, telegramOperator } from '../operator/core/identity';
import { invoke, type OperatorCoreDeps } from '../operator/core/invoke';
import { createOperatorBot, type OperatorBot } from '../operator/telegram/bot';
import { COMMANDS as TELEGRAM_COMMANDS } from '../operator/telegram/commands';
import { openTempTrail } from './helpers/audit';
import { FakeDesk } from './helpers/fake-desk';
import { startFakeTelegram, textUpdate, type FakeTelegram } from './helpers/fake-telegram';

const silent = createLogger({ level: 'silent' });

/** An in-memory sink: what the core wrote, and whether a write may fail. */
function memoryAudit(opts: { failWith?: Error } = {}) {
  const events: OperatorCommandEvent[] = [];
  const unrecorded: OperatorCommandEvent[] = [];
  const audit: CommandAudit = {
    record: async (e) => {
      if (opts.failWith) throw opts.failWith;
      events.push(e);
    },
    unrecorded: (e) => void unrecorded.push(e),
  };
  return { audit, events, unrecorded };
}

class FakeRunbook implements IncidentRunbook {
  readonly calls: Array<[string, ...unknown[]]> = [];
  async falsePositive(id: string, op: Operator, reason: string) {
    this.calls.push(['falsePositive', id, op.id, reason]);
    return { id };
  }
  async confirmContainment(id: string, op: Operator, approve: boolean) {
    this.calls.push(['confirmContainment', id, op.id, approve]);
    return { id };
  }
  async recordFindings(id: string, op: Operator, f: unknown) {
    this.calls.push(['recordFindings', id, op.id, f]);
    return { id };
  }
  async approveResume(id: string, op: Operator, reason: string) {
    this.calls.push(['approveResume', id, op.id, reason]);
    return { id };
  }
}

function coreDeps(desk: FakeDesk, audit: CommandAudit, extra: Partial<OperatorCoreDeps> = {}): OperatorCoreDeps {
  return { desk: async () => desk, incidents: async () => new FakeRunbook(), stop: { configuredSessions: [] }, accounts: ['binance/main', 'okx/main'], audit, auditReads: true, ...extra };
}

const CLI_OP = operatorFor('cli', 'alice');
const TG_OP = telegramOperator(42);

describe('one command, one reply, whichever channel', () => {
  it.each([
    ['stop', { reason: 'venue weird' }],
    ['pause', { reason: 'maintenance' }],
    ['resume', { reason: 'all clear' }],
    ['approve', { id: 'rb-1', amountUsd: '5000', reference: 'tx 123' }],
    ['reject', { id: 'rb-1', reason: 'wrong amount' }],
    ['incident declare', { severity: 'sev-2', summary: 'binance 503s' }],
    ['incident ack', { id: 'inc-1' }],
    ['sessions', {}],
    ['balance', {}],
    ['pnl', {}],
    ['rebalances', {}],
    ['incidents', {}],
  ] as Array<[CoreCommandName, Record<string, unknown>]>)('%s: the same text, the same desk call, one event each', async (name, raw) => {
    const answers = [];
    for (const op of [CLI_OP, TG_OP]) {
      const desk = new FakeDesk();
      const { audit, events } = memoryAudit();
      const reply = await invoke(coreDeps(desk, audit), { op, name, raw });
      expect(reply.kind).toBe('done');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor: op.id, data: { operator: op.id, channel: op.channel, command: name, outcome: 'accepted' } });
      // A reply may name who acted (`acked by tg:42`): the rest is the same text.
      answers.push({ text: reply.kind === 'done' ? reply.text.replaceAll(op.id, 'op') : '', calls: desk.calls.map((c) => ({ method: c.method, args: c.args.map((a) => (a === op ? 'op' : a)) })) });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.text).not.toBe('');
  });

  it('default reasons name the channel', async () => {
    for (const [op, expected] of [[CLI_OP, 'paused via CLI'], [TG_OP, 'paused via Telegram']] as const) {
      const desk = new FakeDesk();
      await invoke(coreDeps(desk, memoryAudit().audit), { op, name: 'pause', raw: {} });
      expect(desk.calls[0]!.args[1]).toBe(expected);
    }
  });
});

describe('refusals: nothing reaches the desk, and each is audited once', () => {
  let desk: FakeDesk;
  let mem: ReturnType<typeof memoryAudit>;
  beforeEach(() => {
    desk = new FakeDesk();
    mem = memoryAudit();
  });

  it('an invalid argument is named, with the field the channel maps to its own spelling', async () => {
    const reply = await invoke(coreDeps(desk, mem.audit), { op: TG_OP, name: 'approve', raw: { id: 'rb-1', amountUsd: '5000', reference: 'tx\u0007' } });
    expect(reply).toMatchObject({ kind: 'invalid', problem: { field: 'reference' }, text: expect.stringMatching(/^reference: must be 3-128/) });
    expect(desk.calls).toEqual([]);
    expect(mem.events.map((e) => [e.data.command, e.data.outcome])).toEqual([['approve', 'failed']]);
  });

  it('session stop refuses an account that is not configured, before any stop', async () => {
    const reply = await invoke(coreDeps(desk, mem.audit), { op: CLI_OP, name: 'session stop', raw: { exchange: 'okx', account: 'nosuch' } });
    expect(reply).toMatchObject({ kind: 'invalid', problem: { field: 'exchange/account', message: 'okx/nosuch is not a configured account' } });
    expect(desk.calls).toEqual([]);
    expect(mem.events).toHaveLength(1);
  });

  it("a channel's guard refuses before the arguments are read", async () => {
    const reply = await invoke(coreDeps(desk, mem.audit), { op: TG_OP, name: 'pause', raw: { reason: '\u0007' }, guard: () => ({ why: 'stale', reply: 'too old' }) });
    expect(reply).toEqual({ kind: 'refused', text: 'too old' });
    expect(mem.events.map((e) => [e.data.outcome, e.data.detail])).toEqual([['refused', 'stale']]);
    expect(desk.calls).toEqual([]);
  });

  it('a command that needs a confirmation asks where the channel can, and runs where it cannot', async () => {
    const asked: string[] = [];
    const reply = await invoke(coreDeps(desk, mem.audit), {
      op: TG_OP,
      name: 'resume',
      raw: { reason: 'reviewed' },
      askFirst: async (p) => void asked.push(p.command.name),
    });
    expect(reply).toEqual({ kind: 'asked' });
    expect(asked).toEqual(['resume']);
    expect(desk.calls).toEqual([]);
    expect(mem.events.map((e) => e.data.detail)).toEqual(['reason "reviewed"; awaiting confirmation']);
    await invoke(coreDeps(desk, mem.audit), { op: CLI_OP, name: 'resume', raw: { reason: 'reviewed' } });
    expect(desk.calls.map((c) => c.method)).toEqual(['resumeAll']);
  });
});

describe('failures', () => {
  it('a desk failure is audited once and answered; the kill switch says what is left to do, per channel', async () => {
    for (const [op, advice] of [[CLI_OP, 'Revoke the exchange API keys at the exchange now.'], [TG_OP, 'Run `warden stop` from a shell']] as const) {
      const desk = new FakeDesk();
      desk.failNext('stopAll', new Error('connection refused'));
      const mem = memoryAudit();
      const reply = await invoke(coreDeps(desk, mem.audit), { op, name: 'stop', raw: {} });
      expect(reply).toMatchObject({ kind: 'failed', guided: true, text: expect.stringContaining(advice) });
      expect(mem.events.map((e) => [e.data.command, e.data.outcome])).toEqual([['stop', 'failed']]);
    }
    const desk = new FakeDesk();
    desk.failNext('pauseAll', new Error('boom', { cause: new Error('deadline exceeded') }));
    const reply = await invoke(coreDeps(desk, memoryAudit().audit), { op: TG_OP, name: 'pause', raw: {} });
    expect(reply).toMatchObject({ kind: 'failed', guided: false, text: 'Failed: boom: deadline exceeded' });
  });

  it('an audit write that fails is reported to the channel, and the command still answers', async () => {
    const mem = memoryAudit({ failWith: new Error('disk full') });
    const reply = await invoke(coreDeps(new FakeDesk(), mem.audit), { op: CLI_OP, name: 'pause', raw: { reason: 'r' } });
    expect(reply.kind).toBe('done');
    expect(mem.unrecorded.map((e) => e.data.command)).toEqual(['pause']);
  });

  it('reads are not audited where the channel says so (the CLI), actions always are', async () => {
    const mem = memoryAudit();
    const deps = coreDeps(new FakeDesk(), mem.audit, { auditReads: false });
    await invoke(deps, { op: CLI_OP, name: 'sessions', raw: {} });
    await invoke(deps, { op: CLI_OP, name: 'pause', raw: {} });
    expect(mem.events.map((e) => e.data.command)).toEqual(['pause']);
  });
});

describe('operator ids are built one way, and every validator takes them', () => {
  it.each([
    ['cli', 'alice', 'cli:alice'],
    ['cli', 'John Smith', 'cli:John_Smith'],
    ['cli', 'evil\u202Ename', 'cli:evil_name'],
    ['cli', '', 'cli:unknown'],
    ['telegram', '123456789', 'tg:123456789'],
    ['pagerduty', 'P\tX', 'pd:P_X'],
  ] as const)('%s %j -> %s', (channel, name, id) => {
    expect(operatorFor(channel, name)).toEqual({ id, channel });
    expect(OperatorAckInput.safeParse({ by: id }).success).toBe(true);
  });

  it('clips a long name to what the validators take', () => {
    const op = operatorFor('cli', 'x'.repeat(500));
    expect(op.id).toHaveLength(128);
    expect(OperatorAckInput.safeParse({ by: op.id }).success).toBe(true);
    expect(OperatorAckInput.safeParse({ by: cliOperator().id }).success).toBe(true);
  });
});

// ---- exactly one operator_command event per invocation, counted on each channel ------------

/** Every core command with a valid invocation on the CLI (argv) and, where the bot has it, on Telegram (text). */
const INVOCATIONS: Array<{ name: CoreCommandName; cli: string[]; telegram?: string }> = [
  { name: 'stop', cli: ['stop', '--reason', 'test'], telegram: '/stop test' },
  { name: 'session stop', cli: ['session', 'stop', '--exchange', 'okx', '--account', 'main'] },
  { name: 'sessions', cli: ['sessions'], telegram: '/status' },
  { name: 'pause', cli: ['pause'], telegram: '/pause' },
  { name: 'resume', cli: ['resume', '--reason', 'ok'], telegram: '/resume ok' },
  { name: 'balance', cli: ['balance'], telegram: '/balance' },
  { name: 'pnl', cli: ['pnl'], telegram: '/pnl' },
  { name: 'rebalances', cli: ['rebalances', '--json'], telegram: '/rebalances' },
  { name: 'approve', cli: ['approve', 'rb-1', '--amount', '5000', '--reference', 'tx 123'], telegram: '/approve rb-1 5000 tx 123' },
  { name: 'reject', cli: ['reject', 'rb-1', '--reason', 'no'], telegram: '/reject rb-1 no' },
  { name: 'incidents', cli: ['incidents'], telegram: '/incidents' },
  { name: 'incident declare', cli: ['incident', 'declare', '--severity', 'SEV-3', '--summary', 'slow'], telegram: '/incident SEV-3 slow' },
  { name: 'incident ack', cli: ['incident', 'ack', 'inc-1'], telegram: '/ack inc-1' },
  { name: 'incident false-positive', cli: ['incident', 'false-positive', 'inc-1', '--reason', 'load test'] },
  { name: 'incident contain', cli: ['incident', 'contain', 'inc-1', '--decline'] },
  { name: 'incident findings', cli: ['incident', 'findings', 'inc-1', '--findings', 'a\nb', '--root-cause', 'leak', '--action', 'rotated', 'revoked', '--lessons', 'l'] },
  { name: 'incident resume', cli: ['incident', 'resume', 'inc-1', '--reason', 'safe'] },
];

it('the table above covers every core command, and the bot names only core commands (and its /help)', () => {
  expect(INVOCATIONS.map((i) => i.name).sort()).toEqual(Object.keys(CORE_COMMANDS).sort());
  for (const spec of Object.values(TELEGRAM_COMMANDS)) expect(spec.core === 'help' || Object.hasOwn(CORE_COMMANDS, spec.core)).toBe(true);
  // The CLI's own after-the-fact audit is for commands outside the core: none is audited twice.
  for (const name of Object.keys(CORE_COMMANDS)) expect(AUDITED_COMMANDS.has(name)).toBe(false);
});

describe('the CLI: one event per action, none for a read', () => {
  let events: AuditEventInput[];
  let runbook: FakeRunbook;

  async function cli(argv: string[]): Promise<unknown> {
    const recorder: AuditRecorder = { record: async (e) => (events.push(e), undefined as never) };
    const ctx: CliContext = {
      config: () => ({ config: WardenConfig.parse({ profile: 'paper', exchanges: [{ exchange: 'okx', account: 'main' }] }), path: 'test.yaml', stateDir: '/nonexistent' }),
      out: () => undefined,
      audit: async () => recorder,
    };
    const p = new Command('warden').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    const desk = async () => new FakeDesk() as DeskControl;
    registerOperateCommands(p, ctx, desk);
    registerSessionCommands(p, ctx, desk);
    registerIncidentCommands(p, ctx, async () => runbook);
    return p.parseAsync(argv, { from: 'user' }).catch((err: unknown) => err);
  }

  beforeEach(() => {
    events = [];
    runbook = new FakeRunbook();
  });

  it.each(INVOCATIONS)('$name', async ({ name, cli: argv }) => {
    expect(await cli(argv)).not.toBeInstanceOf(Error);
    const expected = CORE_COMMANDS[name].kind === 'read' ? [] : [[name, 'accepted']];
    expect(events.map((e) => [e.type === 'operator_command' ? e.data.command : e.type, e.type === 'operator_command' ? e.data.outcome : ''])).toEqual(expected);
  });

  it('an invalid argument is one failed event, and an error naming the flag', async () => {
    const err = await cli(['approve', 'rb-1', '--amount', '5000', '--reference', 'tx\u0007']);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as Error).message).toMatch(/^--reference: must be 3-128/);
    expect(events).toMatchObject([{ type: 'operator_command', data: { command: 'approve', outcome: 'failed' } }]);
  });

  it('the runbook steps reach the runbook with the parsed arguments', async () => {
    await cli(['incident', 'findings', 'inc-1', '--findings', ' a\nb ', '--root-cause', 'leak', '--keys-compromised', '--action', 'rotated', 'revoked']);
    expect(runbook.calls).toEqual([['recordFindings', 'inc-1', cliOperator().id, { findings: 'a\nb', rootCause: 'leak', keysCompromised: true, actions: ['rotated', 'revoked'] }]]);
  });
});

describe('Telegram: one event per command, reads included', () => {
  const CHAT = -100777;
  const op = { userId: 4242, chatId: CHAT };
  let fake: FakeTelegram;
  let trail: AuditTrail;
  let bot: OperatorBot;

  beforeAll(async () => {
    fake = await startFakeTelegram();
  });
  afterAll(async () => fake.close());
  beforeEach(async () => {
    fake.reset();
    trail = await openTempTrail();
    bot = createOperatorBot({
      token: fake.token,
      apiRoot: fake.apiRoot,
      telegram: { chatId: CHAT, operatorIds: [op.userId] },
      desk: new FakeDesk(),
      audit: trail,
      alerts: new AlertRouter({ channels: [], audit: trail, logger: silent }),
      logger: silent,
      botInfo: fake.botInfo,
    });
    return async () => {
      await bot.idle();
      await trail.close();
    };
  });

  const commandEvents = () => trail.events().filter((e) => e.type === 'operator_command').map((e) => [e.data.command, e.data.outcome]);

  it.each(INVOCATIONS.filter((i) => i.telegram))('$name ($telegram)', async ({ name, telegram }) => {
    await bot.bot.handleUpdate(textUpdate(op, telegram!));
    expect(commandEvents()).toEqual([[name, 'accepted']]);
  });

  it('an invalid argument, an unknown command and /help are one event each', async () => {
    await bot.bot.handleUpdate(textUpdate(op, '/approve rb-1 5000 tx\u0007'));
    await bot.bot.handleUpdate(textUpdate(op, '/withdraw'));
    await bot.bot.handleUpdate(textUpdate(op, '/help'));
    expect(commandEvents()).toEqual([
      ['approve', 'failed'],
      ['withdraw', 'failed'],
      ['help', 'accepted'],
    ]);
    expect(fake.sentTo(CHAT)[0]).toMatch(/^reference: must be 3-128 .*\nUsage: \/approve <id> <amountUsd> <reference>$/s);
  });
});
