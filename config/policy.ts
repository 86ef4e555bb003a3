/**
 * Which rules a config gets, judged by what it reaches rather than the profile it
 * names (issue 13 item 5), and where plaintext secrets could be hiding around it.
 * Pure functions of (raw config, env, file system): the loader and preflight share them.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExchangeAccountConfig, WardenConfig } from './schema';

/** The port `warden dev` starts the simulator on (simulator/server.ts DEFAULT_SIM_PORT; not imported so config stays free of the simulator). */
export const PAPER_SIMULATOR_URL = 'http://127.0.0.1:8899';

/** localhost, 127/8 and ::1: the only hosts a paper desk may talk to. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * A paper account without a baseUrl is the local simulator, wherever the desk
 * builds gateways (`warden dev` repoints it at the simulator it starts; the
 * worker and the CLI at the simulator's usual port), never ccxt's real venue URL.
 */
export function venueAccounts(config: Pick<WardenConfig, 'profile' | 'exchanges'>): ExchangeAccountConfig[] {
  if (config.profile !== 'paper') return config.exchanges;
  return config.exchanges.map((x) => (x.baseUrl ? x : { ...x, baseUrl: PAPER_SIMULATOR_URL }));
}

/**
 * What a parsed config reaches beyond this host: `field reaches target` lines.
 * A production account without a baseUrl reaches the real venue; a paper one is the simulator (venueAccounts).
 */
export function realReach(config: WardenConfig): string[] {
  const reach: string[] = [];
  config.exchanges.forEach((x, i) => {
    if (x.baseUrl && !isLoopbackUrl(x.baseUrl)) reach.push(`exchanges[${i}] reaches ${x.baseUrl}`);
    else if (!x.baseUrl && config.profile !== 'paper') reach.push(`exchanges[${i}] reaches the ${x.mode === 'testnet' ? `${x.exchange} testnet` : `real ${x.exchange} venue`}`);
  });
  const usesAws = config.secrets.provider === 'aws' || config.audit.shipToS3;
  if (usesAws && !(config.aws.endpoint && isLoopbackUrl(config.aws.endpoint))) {
    const what = config.secrets.provider === 'aws' ? 'secrets.provider aws' : 'audit.shipToS3';
    reach.push(`${what} reaches ${config.aws.endpoint ? `AWS at ${config.aws.endpoint}` : 'real AWS (aws.endpoint unset)'}`);
  }
  return reach;
}

// ---- environment variables -----------------------------------------------------

/** Names that hold credentials by convention: BINANCE_KEY, OKX_PASS, EXCHANGE_CREDENTIALS, TELEGRAM_BOT, AWS_ACCESS_KEY_ID... */
const SECRET_ENV_NAME =
  /(api[_-]?key|secret|token|passw|passphrase|(^|_)pass($|_)|private[_-]?key|access[_-]?key|(^|_)key($|_)|credential|mnemonic|seed[_-]?phrase|(^|_)bot($|_)|signature)/i;

/** The desk's own settings, and tool variables whose names match but hold paths or flags. */
const DESK_ENV = new Set(['WARDEN_CONFIG', 'WARDEN_LOG_LEVEL', 'WARDEN_TEST_CLOCK_SHIFT_DAYS', 'TEMPORAL_CLI_PATH']);
/** npm exports package.json as env (npm_package_dependencies_@aws-sdk/client-secrets-manager...): names, not secrets. */
const TOOL_ENV_PREFIX = /^(npm_package_|npm_lifecycle_)/;

/** Shapes of credential values, whatever the variable is called. */
const SECRET_VALUE_SHAPES: Array<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/, 'a Telegram bot token'],
  [/^[A-Fa-f0-9]{64}$/, 'a 64-hex exchange key'],
  [/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9]{64}$/, 'a 64-character exchange key'],
  [/^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9/+])[A-Za-z0-9/+]{40}$/, 'an AWS secret access key'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i, 'a URL with a password'],
];

/** Why a value looks like a credential, or undefined. */
export function secretShape(value: string): string | undefined {
  return SECRET_VALUE_SHAPES.find(([re]) => re.test(value))?.[1];
}

/** `environment variable NAME` lines (never the value) for names or values that look like credentials. */
export function secretEnvVars(env: NodeJS.ProcessEnv): string[] {
  const found: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!value || DESK_ENV.has(name) || TOOL_ENV_PREFIX.test(name)) continue;
    if (SECRET_ENV_NAME.test(name)) found.push(`environment variable ${name}`);
    else {
      const shape = secretShape(value);
      if (shape) found.push(`environment variable ${name} (its value looks like ${shape})`);
    }
  }
  return found;
}

// ---- .env files ------------------------------------------------------------------

/** `.env`, `.env.production`, `.envrc`, `secrets.env`, `prod.env`... */
export function isDotEnvName(name: string): boolean {
  return name.startsWith('.env') || name.endsWith('.env');
}

/** Every .env-like file in each start directory and its parents up to the filesystem root. */
export function dotEnvFiles(startDirs: string[]): string[] {
  const dirs = new Set<string>();
  for (const start of startDirs) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      dirs.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // unreadable directory: nothing we could load from it either
    }
    for (const name of names.filter(isDotEnvName).sort()) {
      const file = join(dir, name);
      try {
        if (statSync(file).isFile()) found.push(file);
      } catch {
        // vanished between readdir and stat
      }
    }
  }
  return found;
}

// ---- config values ---------------------------------------------------------------

const SECRET_FIELD_NAME = /(api[_-]?key|secret|token|passw(or)?d|passphrase|private[_-]?key|mnemonic|seed[_-]?phrase|credential)/i;
/** Field names that match the pattern but hold no secret. */
const NOT_SECRET_FIELDS = new Set(['secretsPrefix', 'secrets']);

/** Credentials in a URL: any userinfo password, a user name on an http/ws URL (where an API key would sit), or a secret-named query parameter. */
export function urlUserinfo(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    if (u.password !== '' || (/^(https?|wss?):$/.test(u.protocol) && u.username !== '')) return true;
    // postgres://host/db?password=... carries the same secret in the query.
    return [...u.searchParams.keys()].some((k) => SECRET_FIELD_NAME.test(k));
  } catch {
    // new URL refuses some userinfo shapes; the raw text still carries it.
    return /^[a-z][a-z0-9+.-]*:\/\/[^/\s@]+@/i.test(value);
  }
}

export interface ConfigValueFinding {
  field: string;
  problem: 'secret-name' | 'userinfo' | 'secret-shape';
  detail?: string;
}

/** Walks the raw config: secret-named fields, URLs with userinfo and values shaped like keys. */
export function configValueFindings(raw: unknown): ConfigValueFinding[] {
  const found: ConfigValueFinding[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      const field = path.join('.');
      if (urlUserinfo(value)) found.push({ field, problem: 'userinfo' });
      else {
        const shape = secretShape(value);
        if (shape) found.push({ field, problem: 'secret-shape', detail: shape });
      }
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const here = [...path, key];
      if (SECRET_FIELD_NAME.test(key) && !NOT_SECRET_FIELDS.has(key)) found.push({ field: here.join('.'), problem: 'secret-name' });
      walk(child, here);
    }
  };
  walk(raw, []);
  return found;
}

/** A URL with its userinfo and secret-named query values replaced, for printing. */
export function maskUrlSecrets(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/i, '$1***@')
    .replace(/([?&;])([^=&;#]+)=([^&;#]*)/g, (all, sep: string, key: string) => (SECRET_FIELD_NAME.test(key) ? `${sep}${key}=***` : all));
}

/**
 * The config as `config check` prints it: URL userinfo and secret-named fields
 * masked. The loader already refuses both; this holds if a value slips past it.
 */
export function printableConfig(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return SECRET_FIELD_NAME.test(key) && !NOT_SECRET_FIELDS.has(key) ? '***' : maskUrlSecrets(value);
  if (Array.isArray(value)) return value.map((v) => printableConfig(v));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, printableConfig(v, k)]));
}
