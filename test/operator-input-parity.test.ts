/**
 * An argument the CLI accepts, the bot and the workflow accept, and the other way round (issue 14):
 * `warden approve --reference "tx 123"` once passed the CLI and was then refused by the workflow.
 * The workflow side is the real validators, as each workflow registers them: @temporalio/workflow is
 * replaced by a recorder whose activities never answer, so a workflow runs up to its first activity
 * call, having set its handlers, and stays there.
 */
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../operator/cli';
import type { DeskControl } from '../clients/desk-control';
import { WardenConfig } from '../config/schema';
import { parseCommand } from '../operator/telegram/commands';
import { registerOperateCommands } from '../operator/commands/operate';
import { FakeDesk } from './helpers/fake-desk';

type Validator = (...args: unknown[]) => void;

const recorded = vi.hoisted(() => new Map<string, Validator | undefined>());

vi.mock('@temporalio/workflow', async (importOriginal) => {
  const real = await importOriginal<typeof import('@temporalio/workflow')>();
  const never = () => new Promise<never>(() => undefined);
  const activity = Object.assign(never, { executeWithOptions: never });
  return {
    ...real,
    setHandler: (def: { name: string }, _handler: unknown, opts?: { validator?: Validator }) => void recorded.set(def.name, opts?.validator),
    proxyActivities: () => new Proxy({}, { get: () => activity }),
    workflowInfo: () => ({ workflowId: 'wf/under-test', firstExecutionRunId: 'run-1', runId: 'run-1' }),
    patched: () => true,
    condition: never,
    sleep: never,
    upsertSearchAttributes: () => undefined,
    setCurrentDetails: () => undefined,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  };
});

const { rebalanceWorkflow } = await import('../workflows/rebalance');
const { tradingSessionWorkflow } = await import('../workflows/trading-session');
const { incidentWorkflow } = await import('../workflows/incident');
const { deskWorkflow } = await import('../workflows/desk');
const { rotateCredentialWorkflow } = await import('../workflows/rotation');
const { RiskConfig } = await import('../config/schema');

/** Starts a workflow (it parks at its first activity) and returns its validators by message name. */
function validatorsOf(start: () => Promise<unknown>): Map<string, Validator | undefined> {
  recorded.clear();
  void start();
  return new Map(recorded);
}

const OPERATOR = 'tg:42';
const rebalance = validatorsOf(() =>
  // Cold holdings over any amount tried here: the plausibility check (a workflow-state rule, not an argument rule) stays out of the way.
  rebalanceWorkflow({ exchange: 'binance', account: 'main', symbols: ['BTC/USDT'], warmBalanceUsd: 3_000, thresholdUsd: 5_000, coldUsd: 2e10, hotUsd: 0, operators: [OPERATOR] }),
);
const session = validatorsOf(() =>
  tradingSessionWorkflow({
    exchange: 'binance',
    account: 'main',
    symbols: ['BTC/USDT'],
    strategy: { kind: 'target-weight', quoteCurrency: 'USDT', targetWeights: { BTC: 0.1 }, band: 0.02, orderType: 'market', maxOrderNotional: 200 },
    risk: RiskConfig.parse({}),
  }),
);
const incident = validatorsOf(() => incidentWorkflow({ cause: 'manual', severity: 'SEV-3', summary: 's', sessions: [], declaredBy: OPERATOR }));
const desk = validatorsOf(() => deskWorkflow({ desk: 'test', profile: 'paper' }));
const rotation = validatorsOf(() => rotateCredentialWorkflow({ exchange: 'binance', account: 'main', purpose: 'trading' }));

/** Whether the named workflow validator accepts this request. */
function workflowAccepts(validators: Map<string, Validator | undefined>, update: string, req: unknown): boolean {
  const validate = validators.get(update);
  if (!validate) throw new Error(`no validator registered for ${update}`);
  try {
    validate(req);
    return true;
  } catch {
    return false;
  }
}

/** Runs `warden <argv>` in-process against a fake desk: accepted when the desk was called. */
async function cliAccepts(...argv: string[]): Promise<{ ok: boolean; args?: unknown[] }> {
  const fake = new FakeDesk();
  const p = new Command('warden').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const ctx: CliContext = { config: () => ({ config: WardenConfig.parse({ profile: 'paper' }), path: 'test.yaml', stateDir: '/nonexistent' }), out: () => undefined };
  registerOperateCommands(p, ctx, async () => fake as DeskControl);
  try {
    await p.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { ok: false };
    throw err;
  }
  return { ok: fake.calls.length === 1, args: fake.calls[0]?.args };
}

const telegramAccepts = (name: string, rest: string) => parseCommand(name, rest).ok;

const long = (n: number) => 'x'.repeat(n);

/** Table rows named readably: a 5000-character input is named by its length. */
const rows = <V>(table: Array<[V, boolean]>) =>
  table.map(([value, accepted]) => ({ value, accepted, name: typeof value === 'string' && value.length > 40 ? `${value.length} characters` : JSON.stringify(value) ?? String(value) }));

describe('a transfer reference: `warden approve --reference`, /approve and the confirmTransfer validator agree', () => {
  it.each(rows([
    ['tx 123', true],
    ['TX 0xabc123', true],
    ['binance-tx-8812', true],
    ['  tx   123  ', true],
    ['tx\n123', true],
    ['0x' + 'a'.repeat(64), true],
    [long(128), true],
    ['', false],
    ['   ', false],
    ['ab', false],
    [long(129), false],
    ['tx\u0007123', false],
    ['tx\u202E321', false],
    ['tx;rm -rf', false],
    ['tx<b>1</b>', false],
  ]))('$name -> accepted: $accepted', async ({ value: reference, accepted }) => {
    const cli = await cliAccepts('approve', 'rb-1', '--amount', '5000', '--reference', reference);
    expect({ cli: cli.ok, telegram: telegramAccepts('approve', `rb-1 5000 ${reference}`), workflow: workflowAccepts(rebalance, 'confirmTransfer', { by: OPERATOR, amountUsd: 5000, reference }) }).toEqual({
      cli: accepted,
      telegram: accepted,
      workflow: accepted,
    });
    // What a channel sends after parsing, the workflow accepts too.
    if (cli.ok) expect(workflowAccepts(rebalance, 'confirmTransfer', { by: OPERATOR, ...(cli.args![2] as object) })).toBe(true);
  });
});

describe('an amount: what the channels read from text, the validator accepts as a number', () => {
  it.each(rows([
    [5000, true],
    [5000.5, true],
    [0.01, true],
    [0.29, true],
    [1_000_000_000, true],
    [0, false],
    [-5, false],
    [100.123, false],
    [0.001, false],
    [1_000_000_001, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
  ]))('$name -> accepted: $accepted', async ({ value: amount, accepted }) => {
    const text = String(amount);
    const cli = await cliAccepts('approve', 'rb-1', '--amount', text, '--reference', 'tx 1');
    expect({ cli: cli.ok, telegram: telegramAccepts('approve', `rb-1 ${text} tx-1`), workflow: workflowAccepts(rebalance, 'confirmTransfer', { by: OPERATOR, amountUsd: amount, reference: 'tx-1' }) }).toEqual({
      cli: accepted,
      telegram: accepted,
      workflow: accepted,
    });
  });

  it.each([
    ['$5000', true],
    [' 5000 ', true],
    ['5,000', false],
    ['1e3', false],
    ['0x10', false],
    ['abc', false],
    ['', false],
  ])('typed as %j -> accepted by both channels: %s', async (text, accepted) => {
    expect((await cliAccepts('approve', 'rb-1', '--amount', text, '--reference', 'tx 1')).ok).toBe(accepted);
    // Telegram splits words on spaces: the amount is one word there.
    expect(telegramAccepts('approve', `rb-1 ${text.trim() || '""'} tx-1`)).toBe(accepted);
  });
});

/** Every validator that takes an operator's reason, with the request it sends. */
const REASON_VALIDATORS: Array<[string, Map<string, Validator | undefined>, string, (reason: string) => unknown]> = [
  ['rejectRebalance', rebalance, 'rejectRebalance', (reason) => ({ by: OPERATOR, reason })],
  ['session pause', session, 'pause', (reason) => ({ by: OPERATOR, reason })],
  ['session resume', session, 'resume', (reason) => ({ by: OPERATOR, reason })],
  ['session forceOpen', session, 'forceOpen', (reason) => ({ by: OPERATOR, reason })],
  ['desk stopDesk', desk, 'stopDesk', (reason) => ({ by: OPERATOR, reason })],
  ['incident markFalsePositive', incident, 'markFalsePositive', (reason) => ({ by: OPERATOR, reason })],
  ['incident approveResume', incident, 'approveResume', (reason) => ({ by: OPERATOR, reason })],
];

describe('a reason: `warden reject|pause|resume --reason`, /reject /pause /resume and every reason validator agree', () => {
  it.each(rows([
    ['wrong amount', true],
    ['  padded  ', true],
    ['two\nlines', true],
    ['tabs\tare\tspaces', true],
    ['émoji ok 🚀', true],
    [long(500), true],
    ['', false],
    ['   ', false],
    [long(501), false],
    ['bell\u0007', false],
    ['nul\u0000', false],
    ['ok\u202Eevil', false],
    ['isolate\u2066d', false],
  ]))('$name -> accepted: $accepted', async ({ value: reason, accepted }) => {
    expect((await cliAccepts('reject', 'rb-1', '--reason', reason)).ok).toBe(accepted);
    expect(telegramAccepts('reject', `rb-1 ${reason}`)).toBe(accepted);
    for (const [what, validators, update, req] of REASON_VALIDATORS) expect([what, workflowAccepts(validators, update, req(reason))]).toEqual([what, accepted]);
    // pause and resume: an empty reason is the channel's default there, so only text is compared.
    if (reason.trim()) {
      for (const cmd of ['pause', 'resume']) {
        const cli = await cliAccepts(cmd, '--reason', reason);
        expect([cmd, cli.ok, telegramAccepts(cmd, reason)]).toEqual([cmd, accepted, accepted]);
        if (cli.ok) expect(workflowAccepts(session, cmd, { by: OPERATOR, reason: cli.args![1] })).toBe(true);
      }
    }
  });
});

describe('the kill switch: every channel accepts any reason, and the stop validator accepts what they send', () => {
  it.each(rows([['venue weird', true], ['', true], ['   ', true], [long(5000), true], ['bell\u0007', true], ['ok\u202Eevil', true], ['two\nlines', true]]))('$name', async ({ value: reason }) => {
    const cli = await cliAccepts('stop', '--reason', reason);
    const telegram = parseCommand('stop', reason);
    expect(cli.ok).toBe(true);
    expect(telegram.ok).toBe(true);
    const sent = [cli.args![1], telegram.ok && telegram.command.name === 'stop' ? telegram.command.reason : undefined];
    for (const r of sent) expect(workflowAccepts(session, 'stop', { by: OPERATOR, reason: r })).toBe(true);
  });

  it('the stop validator refuses only a missing or oversized reason, which no channel sends', () => {
    expect(workflowAccepts(session, 'stop', { by: OPERATOR, reason: 'bell\u0007' })).toBe(true);
    expect(workflowAccepts(session, 'stop', { by: OPERATOR, reason: ' ' })).toBe(false);
    expect(workflowAccepts(session, 'stop', { by: OPERATOR, reason: long(501) })).toBe(false);
  });
});

describe('an operator id: every validator that takes one agrees', () => {
  const BY: Array<[string, Map<string, Validator | undefined>, string, (by: unknown) => unknown]> = [
    ['session pause', session, 'pause', (by) => ({ by, reason: 'r' })],
    ['session stop', session, 'stop', (by) => ({ by, reason: 'r' })],
    ['incident acknowledge', incident, 'acknowledge', (by) => ({ by })],
    ['incident confirmContainment', incident, 'confirmContainment', (by) => ({ by, approve: true })],
    ['incident recordFindings', incident, 'recordFindings', (by) => ({ by, findings: 'f', rootCause: 'r', keysCompromised: false })],
    ['rotation pendingStored', rotation, 'pendingStored', (by) => ({ by })],
    ['desk stopDesk', desk, 'stopDesk', (by) => ({ by, reason: 'r' })],
  ];
  it.each(rows<unknown>([
    ['tg:42', true],
    ['cli:alice', true],
    ['pd:PABC123', true],
    ['incident-runbook', true],
    ['', false],
    [' ', false],
    ['cli:a b', false],
    ['cli:\u0007', false],
    [long(129), false],
    [undefined, false],
    [42, false],
  ]))('$name -> accepted: $accepted', ({ value: by, accepted }) => {
    for (const [what, validators, update, req] of BY) expect([what, workflowAccepts(validators, update, req(by))]).toEqual([what, accepted]);
  });
});

describe('findings: the recordFindings validator', () => {
  const findings = (f: Record<string, unknown>) => workflowAccepts(incident, 'recordFindings', { by: OPERATOR, findings: 'f', rootCause: 'r', keysCompromised: false, ...f });
  it('takes a paragraph, line breaks included, and refuses what the CLI refuses', () => {
    expect(findings({ findings: 'line one\nline two' })).toBe(true);
    expect(findings({ findings: long(2000) })).toBe(true);
    expect(findings({ findings: long(2001) })).toBe(false);
    expect(findings({ rootCause: '  ' })).toBe(false);
    expect(findings({ findings: 'esc\u001b[31m' })).toBe(false);
    expect(findings({ keysCompromised: 'yes' })).toBe(false);
    expect(findings({ actions: ['rotated keys'], prevention: ['alert on 401s'], lessons: 'watch the venue' })).toBe(true);
    expect(findings({ actions: [''] })).toBe(false);
  });
});
