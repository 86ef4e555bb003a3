import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../domain/market';
import { tempDir } from './helpers/audit';
import { ExchangeHarness } from './helpers/exchange';

const run = promisify(execFile);
let h: ExchangeHarness;

beforeAll(async () => {
  h = await ExchangeHarness.start(13);
});
afterAll(async () => h?.close());

function config(accounts: Array<[ExchangeId, string]>): string {
  const path = join(tempDir(), 'warden.json');
  writeFileSync(
    path,
    JSON.stringify({
      profile: 'paper',
      desk: { name: 'keys', stateDir: h.stateDir },
      secrets: { provider: 'local-file' },
      exchanges: accounts.map(([exchange, account]) => ({ exchange, account, baseUrl: h.sim.url })),
    }),
  );
  return path;
}

const warden = (cfg: string, ...args: string[]) =>
  run('node', ['bin/warden.js', '--config', cfg, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );

describe('warden keys audit', () => {
  it("prints the guide's lines per exchange and exits 1 on a CRITICAL finding or an account it cannot audit", async () => {
    h.addKey('binance', 'cli1', { permissions: { withdraw: true } });
    h.addKey('okx', 'cli1');
    h.addKey('bybit', 'cli1', { ipWhitelist: [] });
    const out = await warden(config([['binance', 'cli1'], ['okx', 'cli1'], ['bybit', 'cli1'], ['okx', 'nokey']]), 'keys', 'audit');
    expect(out.code).toBe(1);
    expect(out.stdout.split('\n')).toEqual([
      '🚨 CRITICAL: [binance/cli1] Withdrawal permission enabled on Binance! Disable immediately.',
      '✅ OK: [okx/cli1] OKX API key properly configured.',
      '⚠️  WARNING: [bybit/cli1] Wildcard IP whitelist (*) on Bybit. Allow only server IPs.',
      '⚠️  WARNING: [bybit/cli1] IP whitelist on Bybit differs from the recorded one (unexpected *). Update the key or the secret.',
      expect.stringMatching(/^❌ ERROR: \[okx\/nokey\] key audit could not run: Secret warden\/okx\/nokey\/trading is unavailable: not in /),
      '',
    ]);
  });

  it('one account per venue: lines name only the venue, as in the guide; a clean desk exits 0; --json carries the findings', async () => {
    h.addKey('okx', 'cli2');
    h.addKey('bybit', 'cli2');
    const cfg = config([['okx', 'cli2'], ['bybit', 'cli2']]);
    expect(await warden(cfg, 'keys', 'audit')).toEqual({ code: 0, stdout: '✅ OK: OKX API key properly configured.\n✅ OK: Bybit API key properly configured.\n' });
    const json = await warden(cfg, 'keys', 'audit', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { critical: boolean; accounts: Array<{ exchange: string; findings: Array<{ message: string }>; keys: { trading: string } }> };
    expect(parsed.critical).toBe(false);
    expect(parsed.accounts.map((a) => [a.exchange, a.findings.map((f) => f.message)])).toEqual([
      ['okx', ['OKX API key properly configured.']],
      ['bybit', ['Bybit API key properly configured.']],
    ]);
    expect(parsed.accounts[0]!.keys.trading).toMatch(/^[0-9a-f]{12}$/);
  });
});
