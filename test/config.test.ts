import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../config/load';

const cleanEnv = { PATH: '/usr/bin', HOME: '/root' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads the embedded paper default with the seed risk limits', () => {
    const { config, stateDir } = loadConfig(DEFAULT_CONFIG_PATH, { env: cleanEnv });
    expect(config.profile).toBe('paper');
    expect(config.risk).toEqual({
      dailyLossLimitPct: 5,
      maxDrawdownPct: 20,
      maxConcentrationPct: 20,
      maxLeverage: 3,
      marginHealthBufferPct: 30,
      lowBalanceUsd: 5000,
      maxOrderUsd: 1000,
      maxOrdersPerMinute: 30,
      unknownOrders: 'cancel',
    });
    expect(config.exchanges.map((x) => x.exchange)).toEqual(['binance', 'okx', 'bybit']);
    expect(stateDir.endsWith('.warden')).toBe(true);
  });

  it('names the field and the rule for a bad value', () => {
    expect(problemsOf(() => parseConfig({ profile: 'paper', risk: { maxDrawdownPct: 150 } }, 'x.yaml', { env: cleanEnv }))).toEqual([
      'risk.maxDrawdownPct: risk.maxDrawdownPct must be at most 100',
    ]);
    expect(problemsOf(() => parseConfig({ profile: 'live' }, 'x.yaml', { env: cleanEnv }))).toEqual([
      "profile: must be 'paper' or 'production'",
    ]);
    expect(
      problemsOf(() => parseConfig({ profile: 'paper', temporal: { address: 'nowhere' } }, 'x.yaml', { env: cleanEnv })),
    ).toEqual(['temporal.address: must be host:port, e.g. 127.0.0.1:7233']);
    expect(
      problemsOf(() =>
        parseConfig({ profile: 'paper', exchanges: [{ exchange: 'kraken', account: 'main' }] }, 'x.yaml', { env: cleanEnv }),
      ),
    ).toEqual(['exchanges.0.exchange: Invalid option: expected one of "binance"|"okx"|"bybit"']);
    expect(
      problemsOf(() =>
        parseConfig({ profile: 'paper', telegram: { chatId: 1, operatorIds: ['@alice'] } }, 'x.yaml', { env: cleanEnv }),
      ),
    ).toEqual(['telegram.operatorIds.0: must be numeric Telegram user ids']);
  });

  it("refuses Telegram's system accounts as operators and defaults the command age limit (issue 13)", () => {
    expect(
      problemsOf(() => parseConfig({ profile: 'paper', telegram: { chatId: 1, operatorIds: [42, 777000, 1087968824, 136817688] } }, 'x.yaml', { env: cleanEnv })),
    ).toEqual([
      'telegram.operatorIds.1: 777000 is a Telegram system account, never an operator',
      'telegram.operatorIds.2: 1087968824 is a Telegram system account, never an operator',
      'telegram.operatorIds.3: 136817688 is a Telegram system account, never an operator',
    ]);
    expect(parseConfig({ profile: 'paper', telegram: { chatId: 1, operatorIds: [42] } }, 'x.yaml', { env: cleanEnv }).telegram?.maxCommandAgeSeconds).toBe(120);
    expect(
      problemsOf(() => parseConfig({ profile: 'paper', telegram: { chatId: 1, operatorIds: [42], maxCommandAgeSeconds: 0 } }, 'x.yaml', { env: cleanEnv }))[0],
    ).toMatch(/^telegram.maxCommandAgeSeconds: /);
  });

  it('rejects unknown fields rather than ignoring a typo', () => {
    expect(problemsOf(() => parseConfig({ profile: 'paper', risk: { maxDrawdown: 10 } }, 'x.yaml', { env: cleanEnv }))).toEqual([
      'risk: Unrecognized key: "maxDrawdown"',
    ]);
  });

  it('refuses duplicate accounts', () => {
    const exchanges = [
      { exchange: 'okx', account: 'main' },
      { exchange: 'okx', account: 'main' },
    ];
    expect(problemsOf(() => parseConfig({ profile: 'paper', exchanges }, 'x.yaml', { env: cleanEnv }))).toEqual([
      'exchanges.1: duplicate account okx/main',
    ]);
  });

  describe('production profile (seed section 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cfg-'));
    const prod = { profile: 'production', secrets: { provider: 'aws' }, audit: { shipToS3: true } };

    it('accepts a config whose secrets all live in Secrets Manager', () => {
      expect(parseConfig(prod, join(dir, 'p.yaml'), { env: cleanEnv, cwd: dir }).profile).toBe('production');
    });

    it('refuses secrets in environment variables and names them', () => {
      expect(() =>
        parseConfig(prod, join(dir, 'p.yaml'), { env: { ...cleanEnv, BINANCE_API_KEY: 'x', TELEGRAM_TOKEN: 'y' }, cwd: dir }),
      ).toThrow(
        'Refusing to start the production profile: secrets must come from AWS Secrets Manager, not from environment variable BINANCE_API_KEY, environment variable TELEGRAM_TOKEN',
      );
    });

    it('refuses a .env file', () => {
      const envDir = mkdtempSync(join(tmpdir(), 'warden-dotenv-'));
      writeFileSync(join(envDir, '.env'), 'X=1\n');
      expect(problemsOf(() => parseConfig(prod, join(envDir, 'p.yaml'), { env: cleanEnv, cwd: envDir }))).toEqual([
        `file ${join(envDir, '.env')}`,
      ]);
    });

    it('refuses plaintext secrets in the config file', () => {
      const raw = { ...prod, exchanges: [{ exchange: 'binance', account: 'main', apiKey: 'abc' }] };
      expect(problemsOf(() => parseConfig(raw, join(dir, 'p.yaml'), { env: cleanEnv, cwd: dir }))).toEqual([
        'config field exchanges.0.apiKey',
      ]);
    });

    it('refuses the local secrets file provider', () => {
      expect(
        problemsOf(() => parseConfig({ ...prod, secrets: { provider: 'local-file' } }, join(dir, 'p.yaml'), { env: cleanEnv, cwd: dir })),
      ).toEqual(["secrets.provider: production requires 'aws' (Secrets Manager); the local file provider is for paper trading only"]);
    });
  });

  it('reports a missing file clearly', () => {
    expect(() => loadConfig('/nonexistent/warden.yaml')).toThrow('Config file not found: /nonexistent/warden.yaml');
  });
});
