import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../config/load';
import { PAPER_SIMULATOR_URL, dotEnvFiles, printableConfig, realReach, secretEnvVars, venueAccounts } from '../config/policy';
import { WardenConfig } from '../config/schema';
import { DEFAULT_SIM_PORT } from '../simulator';

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
      foreignOrders: 'unauthorized',
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
    expect(parseConfig({ profile: 'paper', secrets: { provider: 'local-file' }, telegram: { chatId: 1, operatorIds: [42] } }, 'x.yaml', { env: cleanEnv }).telegram?.maxCommandAgeSeconds).toBe(120);
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

describe('production policy by what a config reaches (issue 13 item 5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-reach-'));
  const at = join(dir, 'p.yaml');
  const opts = { env: cleanEnv, cwd: dir };
  const paperSecrets = { provider: 'local-file' };

  it('refuses a paper config that reaches a real venue, naming the account', () => {
    const raw = { profile: 'paper', secrets: paperSecrets, exchanges: [{ exchange: 'binance', account: 'main', baseUrl: 'https://api.binance.com' }] };
    expect(problemsOf(() => parseConfig(raw, at, opts))).toEqual(['profile: paper but exchanges[0] reaches https://api.binance.com: use profile production']);
  });

  it("refuses a testnet account under the paper profile: a testnet is a remote venue with keys in Secrets Manager", () => {
    const raw = { profile: 'paper', secrets: paperSecrets, exchanges: [{ exchange: 'okx', account: 'demo', mode: 'testnet' }] };
    expect(problemsOf(() => parseConfig(raw, at, opts))).toEqual([
      'exchanges.0.mode: testnet runs under the production profile (keys from Secrets Manager, preflight gates it); a paper account is the simulator',
    ]);
    expect(problemsOf(() => parseConfig({ ...raw, exchanges: [{ exchange: 'okx', account: 'demo', mode: 'demo' }] }, at, opts))).toEqual(["exchanges.0.mode: must be 'live' or 'testnet'"]);
  });

  it('says a production testnet account reaches the testnet, not the real venue', () => {
    const config = WardenConfig.parse({
      profile: 'production',
      secrets: { provider: 'aws' },
      audit: { shipToS3: true },
      exchanges: [{ exchange: 'bybit', account: 'demo', mode: 'testnet' }, { exchange: 'bybit', account: 'main' }],
    });
    expect(realReach(config).filter((r) => r.startsWith('exchanges'))).toEqual(['exchanges[0] reaches the bybit testnet', 'exchanges[1] reaches the real bybit venue']);
  });

  it('refuses a paper config that reads real AWS (secrets provider aws without a loopback endpoint)', () => {
    expect(problemsOf(() => parseConfig({ profile: 'paper' }, at, opts))).toEqual([
      'profile: paper but secrets.provider aws reaches real AWS (aws.endpoint unset): use profile production',
    ]);
    expect(problemsOf(() => parseConfig({ profile: 'paper', aws: { endpoint: 'https://s3.amazonaws.com' } }, at, opts))).toEqual([
      'profile: paper but secrets.provider aws reaches AWS at https://s3.amazonaws.com: use profile production',
    ]);
    expect(problemsOf(() => parseConfig({ profile: 'paper', secrets: paperSecrets, audit: { shipToS3: true } }, at, opts))).toEqual([
      'profile: paper but audit.shipToS3 reaches real AWS (aws.endpoint unset): use profile production',
    ]);
  });

  it('keeps paper on loopback simulators and emulators (npm start, the test desks)', () => {
    const loopback = {
      profile: 'paper',
      aws: { endpoint: 'http://127.0.0.1:5000' },
      exchanges: [
        { exchange: 'binance', account: 'a', baseUrl: 'http://127.0.0.1:8899' },
        { exchange: 'okx', account: 'b', baseUrl: 'http://localhost:9000' },
        { exchange: 'bybit', account: 'c', baseUrl: 'http://[::1]:9000' },
        { exchange: 'bybit', account: 'd' },
      ],
    };
    expect(parseConfig(loopback, at, opts).profile).toBe('paper');
    expect(loadConfig(DEFAULT_CONFIG_PATH, { env: cleanEnv }).config.profile).toBe('paper');
  });

  it('points every paper account without a baseUrl at the simulator, never ccxt\'s real URL', () => {
    const { config } = loadConfig(DEFAULT_CONFIG_PATH, { env: cleanEnv });
    expect(venueAccounts(config).map((x) => x.baseUrl)).toEqual([PAPER_SIMULATOR_URL, PAPER_SIMULATOR_URL, PAPER_SIMULATOR_URL]);
    expect(PAPER_SIMULATOR_URL).toBe(`http://127.0.0.1:${DEFAULT_SIM_PORT}`);
    const prod = { ...config, profile: 'production' as const };
    expect(venueAccounts(prod).map((x) => x.baseUrl)).toEqual([undefined, undefined, undefined]);
  });

  it('refuses URL userinfo in any value, in any profile, naming the field and not echoing it', () => {
    const raw = {
      profile: 'paper',
      secrets: paperSecrets,
      exchanges: [{ exchange: 'binance', account: 'main', baseUrl: 'http://key:s3cr3t@127.0.0.1:8899' }],
      databaseUrl: 'postgresql://warden:hunter2@db.internal:5432/warden',
      redisUrl: 'rediss://cache.internal:6379/0?password=hunter3',
    };
    let message = '';
    const problems = problemsOf(() => {
      try {
        return parseConfig(raw, at, opts);
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    });
    expect(problems).toEqual([
      'exchanges.0.baseUrl: must not carry credentials in the URL (user:password@); keep them in Secrets Manager',
      'databaseUrl: must not carry credentials in the URL (user:password@); keep them in Secrets Manager',
      'redisUrl: must not carry credentials in the URL (user:password@); keep them in Secrets Manager',
    ]);
    for (const s of ['s3cr3t', 'hunter2', 'hunter3']) expect(message).not.toContain(s);
    // A database user without a password (IAM auth, a .pgpass) is no secret.
    expect(parseConfig({ profile: 'paper', secrets: paperSecrets, databaseUrl: 'postgresql://warden@db:5432/w' }, at, opts).databaseUrl).toBe('postgresql://warden@db:5432/w');
  });

  describe('environment variables', () => {
    it('finds credential names beyond the *_API_KEY convention', () => {
      const names = ['BINANCE_KEY', 'EXCHANGE_CREDENTIALS', 'OKX_PASS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'TELEGRAM_BOT', 'GITHUB_TOKEN', 'DB_PASSWORD', 'BYBIT_API_KEY_2', 'MY_SECRET_X'];
      const env = Object.fromEntries(names.map((n) => [n, 'x']));
      expect(secretEnvVars(env)).toEqual([...names].sort().map((n) => `environment variable ${n}`));
    });

    it('finds values shaped like keys under innocent names, without printing them', () => {
      const env = {
        NOTES: 'AKIAIOSFODNN7EXAMPLE',
        CHAT: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0',
        HEXY: 'a'.repeat(32) + 'b'.repeat(32),
        WHATEVER: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        DB: 'postgres://u:pw@db/x',
      };
      const found = secretEnvVars(env);
      expect(found).toEqual([
        'environment variable CHAT (its value looks like a Telegram bot token)',
        'environment variable DB (its value looks like a URL with a password)',
        'environment variable HEXY (its value looks like a 64-hex exchange key)',
        'environment variable NOTES (its value looks like an AWS access key id)',
        'environment variable WHATEVER (its value looks like an AWS secret access key)',
      ]);
      for (const v of Object.values(env)) expect(found.join()).not.toContain(v);
    });

    it('leaves the ordinary environment of a shell, npm, CI and the desk alone', () => {
      const env = {
        PATH: '/usr/local/bin:/usr/bin',
        HOME: '/root',
        USER: 'root',
        SHELL: '/bin/bash',
        TERM: 'xterm',
        LANG: 'C.UTF-8',
        PWD: '/work',
        CI: 'true',
        NODE_ENV: 'production',
        NODE_OPTIONS: '--max-old-space-size=4096',
        SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
        XDG_SESSION_ID: '3',
        GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
        HOSTNAME: 'e3b0c44298fc',
        WARDEN_CONFIG: '/etc/warden/production.yaml',
        WARDEN_LOG_LEVEL: 'debug',
        TEMPORAL_CLI_PATH: '/root/.cache/warden/temporal-cli/1.9.1/bin/temporal',
        AWS_REGION: 'us-east-1',
        AWS_PROFILE: 'warden',
        npm_package_dependencies__aws_sdk_client_secrets_manager: '^3.1164.0',
        npm_lifecycle_event: 'start',
        npm_config_user_agent: 'npm/10.8.2 node/v20.19.0 linux x64',
        npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
      };
      expect(secretEnvVars(env)).toEqual([]);
    });
  });

  describe('.env files', () => {
    it('finds every .env* and *.env file in the working directory, the config directory and their parents', () => {
      const root = mkdtempSync(join(tmpdir(), 'warden-dotenv-tree-'));
      const cfgDir = join(root, 'etc', 'warden');
      const work = join(root, 'srv', 'run');
      mkdirSync(cfgDir, { recursive: true });
      mkdirSync(work, { recursive: true });
      for (const f of [join(root, '.env'), join(cfgDir, '.env.production'), join(cfgDir, 'secrets.env'), join(work, '.envrc'), join(root, 'srv', '.env.prod')]) writeFileSync(f, 'X=1\n');
      mkdirSync(join(work, '.env.d')); // a directory is not a file to load
      writeFileSync(join(work, 'environment.txt'), 'not a dotenv');
      const found = dotEnvFiles([work, cfgDir]).filter((f) => f.startsWith(root));
      expect(found.sort()).toEqual([join(root, '.env'), join(cfgDir, '.env.production'), join(cfgDir, 'secrets.env'), join(root, 'srv', '.env.prod'), join(work, '.envrc')].sort());
      const prod = { profile: 'production', secrets: { provider: 'aws' }, audit: { shipToS3: true } };
      const problems = problemsOf(() => parseConfig(prod, join(cfgDir, 'p.yaml'), { env: cleanEnv, cwd: work }));
      expect(problems).toEqual(expect.arrayContaining([`file ${join(root, '.env')}`, `file ${join(cfgDir, 'secrets.env')}`, `file ${join(work, '.envrc')}`]));
    });
  });

  it('config check prints no secret, even one that got past the loader', async () => {
    const masked = printableConfig({ databaseUrl: 'postgresql://warden:hunter2@db/w', nested: { apiKey: 'AK-1', url: 'https://x/?token=tok-9' } });
    expect(JSON.stringify(masked)).not.toMatch(/hunter2|AK-1|tok-9/);
    expect(masked).toEqual({ databaseUrl: 'postgresql://***@db/w', nested: { apiKey: '***', url: 'https://x/?token=***' } });
    const file = join(dir, 'leaky.yaml');
    writeFileSync(file, 'profile: paper\nsecrets: { provider: local-file }\ndatabaseUrl: postgresql://warden:hunter2@db.internal:5432/warden\n');
    const err = await promisify(execFile)('node', ['bin/warden.js', '--config', file, 'config', 'check']).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect('code' in err ? err.code : 0).toBe(2);
    expect(err.stderr).toContain('databaseUrl: must not carry credentials in the URL');
    expect(err.stdout + err.stderr).not.toContain('hunter2');
  });
});

describe('bounded numeric fields (issue 13 item 7)', () => {
  const paper = (over: Record<string, unknown>) => ({ profile: 'paper', secrets: { provider: 'local-file' }, ...over });
  const grid = { kind: 'grid', symbol: 'BTC/USDT', lower: 40000, upper: 80000, levels: 9, orderAmount: 0.002 };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a microsecond tick', { sessions: { tickSeconds: 0.000001 } }, 'sessions.tickSeconds: must be at least 1'],
    ['an astronomical order cap', { risk: { maxOrderUsd: 1e308 } }, 'risk.maxOrderUsd: must be at most 10000000'],
    ['a zero order cap', { risk: { maxOrderUsd: 0 } }, 'risk.maxOrderUsd: must be greater than 0'],
    ['a negative low-balance threshold', { risk: { lowBalanceUsd: -1 } }, 'risk.lowBalanceUsd: must be at least 0'],
    ['an order-rate flood', { risk: { maxOrdersPerMinute: 1e9 } }, 'risk.maxOrdersPerMinute: must be at most 1200'],
    ['a percentage over 100', { risk: { dailyLossLimitPct: 101 } }, 'risk.dailyLossLimitPct: risk.dailyLossLimitPct must be at most 100'],
    ['a negative percentage', { alerts: { marginHealthWarnPct: -5 } }, 'alerts.marginHealthWarnPct: alerts.marginHealthWarnPct must be greater than 0'],
    ['a latency warning of a day', { alerts: { latencyWarnMs: 86_400_000 } }, 'alerts.latencyWarnMs: must be at most 60000'],
    ['a ship interval that hammers S3', { audit: { shipIntervalSeconds: 0.000001 } }, 'audit.shipIntervalSeconds: must be at least 0.1'],
    ['a retention of a million days', { audit: { retentionDays: { audit: 1e6 } } }, 'audit.retentionDays.audit: must be at most 36500'],
    ['a cold wallet of 1e308', { wallets: { coldUsd: 1e308 } }, 'wallets.coldUsd: must be at most 1000000000000'],
    ['a strategy order of 1e308', { exchanges: [{ exchange: 'okx', account: 'a', strategy: { kind: 'target-weight', targetWeights: { BTC: 0.5 }, maxOrderNotional: 1e308 } }] }, 'exchanges.0.strategy.maxOrderNotional: must be at most 10000000'],
    ['a grid bound of 1e308', { exchanges: [{ exchange: 'okx', account: 'a', strategy: { ...grid, upper: 1e308 } }] }, 'exchanges.0.strategy.upper: must be at most 1000000000'],
    ['a grid amount of 1e308', { exchanges: [{ exchange: 'okx', account: 'a', strategy: { ...grid, orderAmount: 1e308 } }] }, 'exchanges.0.strategy.orderAmount: must be at most 1000000000'],
    ['an unsafe Telegram id', { telegram: { chatId: 1, operatorIds: [2 ** 60] } }, 'telegram.operatorIds.0: must be numeric Telegram user ids'],
  ];
  for (const [what, over, problem] of cases) {
    it(`refuses ${what}, naming the field`, () => {
      expect(problemsOf(() => parseConfig(paper(over), 'x.yaml', { env: cleanEnv }))).toEqual([problem]);
    });
  }

  it('accepts the edges of every range', () => {
    const edge = paper({
      sessions: { tickSeconds: 1 },
      risk: { maxOrderUsd: 10_000_000, lowBalanceUsd: 0, maxOrdersPerMinute: 1200, dailyLossLimitPct: 100 },
      audit: { shipIntervalSeconds: 0.1 },
    });
    expect(parseConfig(edge, 'x.yaml', { env: cleanEnv }).risk.maxOrderUsd).toBe(10_000_000);
  });
});
