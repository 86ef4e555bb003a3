import { userInfo } from 'node:os';
import { Command, CommanderError } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../operator/cli';
import { registerOperateCommands } from '../operator/commands/operate';
import type { DeskControl } from '../clients/desk-control';
import { FakeDesk } from './helpers/fake-desk';
import { WardenConfig } from '../config/schema';

const me = { id: `cli:${userInfo().username}`, channel: 'cli' };

let desk: FakeDesk;
let out: string[];
let err: string;
let opened: number;
let closed: number;

/** The same program shape as operator/cli.ts builds, in-process. */
function program(): Command {
  const p = new Command('warden')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => (err += s) });
  const ctx: CliContext = {
    // Only the kill switch reads the config: the sessions it reaches without Temporal (none here).
    config: () => ({ config: WardenConfig.parse({ profile: 'paper' }), path: 'test.yaml', stateDir: '/nonexistent' }),
    out: (line) => out.push(line),
  };
  registerOperateCommands(p, ctx, async () => {
    opened += 1;
    return Object.assign(desk, { close: async () => void (closed += 1) }) as DeskControl;
  });
  return p;
}

const run = (...argv: string[]) => program().parseAsync(argv, { from: 'user' });
const failure = async (...argv: string[]) => {
  const e = await run(...argv).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(CommanderError);
  return err;
};

beforeEach(() => {
  desk = new FakeDesk();
  out = [];
  err = '';
  opened = 0;
  closed = 0;
});

describe('warden operate commands (CLI parity with the bot)', () => {
  it('registers every bot command', () => {
    const p = program();
    const names = p.commands.map((c) => c.name());
    expect(names).toEqual(['stop', 'pause', 'resume', 'sessions', 'balance', 'pnl', 'rebalances', 'approve', 'reject', 'incidents', 'incident']);
    expect(p.commands.find((c) => c.name() === 'incident')!.commands.map((c) => c.name())).toEqual(['declare', 'ack']);
  });

  it('--help needs no desk', async () => {
    await failure('approve', '--help');
    expect(out.join('')).toContain('--amount <usd>');
    expect(opened).toBe(0);
  });

  it('stop: the kill switch, no confirmation, reason optional, as cli:<os user>', async () => {
    await run('stop');
    expect(desk.calls).toEqual([{ method: 'stopAll', args: [me, 'kill switch via CLI'] }]);
    expect(out.join('\n')).toContain('STOPPED 2 sessions, 3 orders cancelled.');
    expect(closed).toBe(1);
  });

  it('stop never refuses because of its reason', async () => {
    await run('stop', '--reason', `x\u202E${'y'.repeat(600)}`);
    const reason = desk.calls[0]!.args[1] as string;
    expect(reason).toHaveLength(500);
    expect(reason).not.toContain('\u202E');
  });

  it('stop failure says what to do next', async () => {
    desk.failNext('stopAll', new Error('connection refused'));
    await expect(run('stop')).rejects.toThrow(/^STOP FAILED: connection refused\nTrading may still be running\. Revoke the exchange API keys/);
  });

  it.each([
    [['pause', '--reason', 'maintenance'], 'pauseAll', [me, 'maintenance'], 'Paused 2 sessions. Reason: maintenance'],
    [['resume', '--reason', 'all clear'], 'resumeAll', [me, 'all clear'], 'Resumed 2 sessions. Reason: all clear'],
    // As on Telegram (one schema): a reason is optional, the default names the channel.
    [['pause'], 'pauseAll', [me, 'paused via CLI'], 'Paused 2 sessions. Reason: paused via CLI'],
    [['resume'], 'resumeAll', [me, 'resumed via CLI'], 'Resumed 2 sessions. Reason: resumed via CLI'],
    [['approve', 'rb-1', '--amount', '5000', '--reference', 'TX-9'], 'confirmTransfer', ['rb-1', me, { amountUsd: 5000, reference: 'TX-9' }], 'Transfer of $5,000.00 recorded (ref TX-9).'],
    [['reject', 'rb-1', '--reason', 'wrong amount'], 'rejectRebalance', ['rb-1', me, 'wrong amount'], 'rb-1 binance/main: rejected'],
    [['incident', 'declare', '--severity', 'sev-1', '--summary', 'key leaked'], 'declareIncident', [me, { severity: 'SEV-1', summary: 'key leaked' }], 'inc-2 SEV-1 detection: key leaked'],
    [['incident', 'ack', 'inc-1'], 'acknowledgeIncident', ['inc-1', me], 'acked by cli:'],
    [['sessions'], 'sessions', [], 'binance/main: TRADING'],
    [['balance'], 'sessions', [], '  BTC 0.5 (0.1 in orders)'],
    [['pnl'], 'sessions', [], 'Total: $85,001.00'],
    [['rebalances'], 'rebalances', [], 'rb-1 binance/main: waiting for your transfer'],
    [['incidents'], 'incidents', [], 'inc-1 SEV-2 containment: exchange outage'],
  ] as const)('%j', async (argv, method, args, text) => {
    await run(...argv);
    expect(desk.calls).toEqual([{ method, args }]);
    expect(out.join('\n')).toContain(text);
    expect(closed).toBe(1);
  });

  it.each([
    [['sessions', '--json'], (v: unknown) => expect((v as Array<{ session: string }>).map((s) => s.session)).toEqual(['binance/main', 'okx/main'])],
    [['balance', '--json'], (v: unknown) => expect(v).toMatchObject([{ session: 'binance/main', positions: { BTC: { total: 0.5 } } }, { session: 'okx/main' }])],
    [['pnl', '--json'], (v: unknown) => expect(v).toMatchObject([{ session: 'binance/main', value: 42500.5, dailyPnlPct: -1.2, drawdownPct: 3.4 }, {}])],
    [['rebalances', '--json'], (v: unknown) => expect(v).toMatchObject([{ id: 'rb-1', status: 'awaiting_transfer' }])],
    [['incidents', '--json'], (v: unknown) => expect(v).toMatchObject([{ id: 'inc-1', severity: 'SEV-2' }])],
  ] as const)('%j prints JSON', async (argv, check) => {
    await run(...argv);
    expect(out).toHaveLength(1);
    check(JSON.parse(out[0]!));
  });

  it.each([
    [['approve', 'rb-1', '--amount', 'abc', '--reference', 'tx-1'], '--amount: must be a positive number'],
    [['approve', 'rb-1', '--amount', '0', '--reference', 'tx-1'], '--amount: must be a positive number'],
    [['approve', 'rb-1', '--amount', '5', '--reference', '  '], '--reference: required'],
    [['approve', 'rb-1', '--reference', 'tx-1'], "required option '--amount <usd>' not specified"],
    [['approve', 'rb;1', '--amount', '5', '--reference', 'tx-1'], '<id>: must be an id'],
    [['approve', 'rb-1', '--amount', '5', '--reference', 'r'], '--reference: must be 3-128 letters'],
    [['resume', '--reason', ''], '--reason: required'],
    [['reject', 'rb-1'], "required option '--reason <text>' not specified"],
    [['incident', 'declare', '--severity', 'SEV-5', '--summary', 's'], '--severity: must be one of SEV-1, SEV-2, SEV-3, SEV-4'],
    [['incident', 'declare', '--severity', 'SEV-1'], "required option '--summary <text>' not specified"],
    [['incident', 'ack'], "missing required argument 'id'"],
  ])('%j -> %s, and the desk is never reached', async (argv, message) => {
    expect(await failure(...argv)).toContain(message);
    expect(opened).toBe(0);
    expect(desk.calls).toEqual([]);
  });
});
