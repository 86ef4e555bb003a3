import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { freePort } from '../adapters/free-port';
import type { CliContext } from '../operator/cli';
import { registerSimCommands, runSim } from '../operator/commands/sim';
import { VENUES } from '../simulator/index';
import { amountOf, clientFor } from './helpers/simulator';

function program(): { program: Command; lines: string[] } {
  const lines: string[] = [];
  const ctx: CliContext = {
    config: () => {
      throw new Error('sim needs no config');
    },
    out: (l) => lines.push(l),
  };
  const p = new Command('warden').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerSimCommands(p, ctx);
  return { program: p, lines };
}

describe('warden sim', () => {
  it('rejects a bad --port or --seed naming the flag', async () => {
    const port = await program().program.parseAsync(['node', 'warden', 'sim', '--port', 'abc']).catch((e: unknown) => e);
    expect(port).toBeInstanceOf(CommanderError);
    expect((port as CommanderError).message).toContain('--port: must be a port number 1-65535 (got "abc")');
    const seed = await program().program.parseAsync(['node', 'warden', 'sim', '--seed', '-3']).catch((e: unknown) => e);
    expect((seed as CommanderError).message).toContain('--seed: must be an integer 0-4294967295 (got "-3")');
  });

  it('serves the three venues on the printed URL with the printed paper keys, until told to stop', async () => {
    const port = await freePort();
    const lines: string[] = [];
    let stop = () => undefined as void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const running = runSim({ host: '127.0.0.1', port, seed: 3, tickMs: 0, json: true }, (l) => lines.push(l), () => stopped);
    await expect.poll(() => lines.length).toBe(1);
    const printed = JSON.parse(lines[0] ?? '{}') as { url: string; keys: Record<(typeof VENUES)[number], { apiKey: string; secret: string; passphrase?: string }> };
    expect(printed.url).toBe(`http://127.0.0.1:${port}`);
    for (const venue of VENUES) {
      const ex = clientFor(printed, { venue, ...printed.keys[venue] });
      expect(amountOf(await ex.fetchBalance(), 'total', 'USDT')).toBe(20_000);
    }
    stop();
    const keys = await running;
    expect(keys).toEqual(printed.keys);
    await expect(fetch(`${printed.url}/__admin/health`)).rejects.toThrow();
  });

  it('prints the URL and each venue key in the human format', async () => {
    const port = await freePort();
    const lines: string[] = [];
    await runSim({ host: '127.0.0.1', port, seed: 1, tickMs: 250 }, (l) => lines.push(l), () => Promise.resolve());
    expect(lines[0]).toBe(`Warden exchange simulator on http://127.0.0.1:${port} (seed 1, a price tick every 250 ms)`);
    expect(lines.filter((l) => /^ {2}(binance|okx|bybit) +apiKey=\S+ secret=\S+/.test(l))).toHaveLength(3);
    expect(lines.find((l) => l.startsWith('  okx') && l.includes('apiKey='))).toMatch(/passphrase=\S+/);
  });
});
