import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { WardenConfig } from './schema';

import { DEFAULT_CONFIG_PATH } from './paths';

export { DEFAULT_CONFIG_PATH };

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: WardenConfig;
  path: string;
  /** stateDir resolved against the config file's folder. */
  stateDir: string;
}

export interface LoadOptions {
  /** The process environment; injected so tests can check the production refusal. */
  env?: NodeJS.ProcessEnv;
  /** Where to look for .env files besides the config file's folder. */
  cwd?: string;
}

const SECRET_NAME = /(api[_-]?key|secret|token|passw(or)?d|passphrase|private[_-]?key|mnemonic|seed[_-]?phrase)/i;
/** Env vars that are configuration, not secrets, even though their names match. */
const NOT_SECRET_ENV = new Set(['WARDEN_CONFIG', 'TEMPORAL_CLI_PATH']);

/** Schema errors as `field.path: rule` lines. */
export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
}

/** Seed section 1: production never takes secrets from env vars, .env files or plaintext config. */
export function findPlaintextSecretSources(raw: unknown, configPath: string, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const found: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (NOT_SECRET_ENV.has(name) || !env[name]) continue;
    if (SECRET_NAME.test(name)) found.push(`environment variable ${name}`);
  }
  const dirs = [...new Set([dirname(configPath), resolve(cwd)])];
  for (const dir of dirs) {
    for (const file of ['.env', '.env.local', '.env.production']) {
      if (existsSync(join(dir, file))) found.push(`file ${join(dir, file)}`);
    }
  }
  const walk = (value: unknown, path: string[]): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const here = [...path, key];
      if (SECRET_NAME.test(key) && key !== 'secretsPrefix' && key !== 'secrets') found.push(`config field ${here.join('.')}`);
      walk(child, here);
    }
  };
  walk(raw, []);
  return found;
}

export function parseConfig(raw: unknown, source: string, options: LoadOptions = {}): WardenConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const profile = (raw as { profile?: unknown } | null)?.profile;
  if (profile === 'production') {
    const sources = findPlaintextSecretSources(raw, source, env, cwd);
    if (sources.length) {
      throw new ConfigError(
        `Refusing to start the production profile: secrets must come from AWS Secrets Manager, not from ${sources.join(', ')}`,
        sources,
      );
    }
  }
  const parsed = WardenConfig.safeParse(raw);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues);
    throw new ConfigError(`Invalid config ${source}:\n  ${problems.join('\n  ')}`, problems);
  }
  return parsed.data;
}

/** Reads a YAML/JSON config file without validating it (the caller decides how). */
export function readConfigFile(path: string): { abs: string; raw: unknown } {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new ConfigError(`Config file not found: ${abs}`, [`file ${abs} does not exist`]);
  try {
    return { abs, raw: parseYaml(readFileSync(abs, 'utf8')) };
  } catch (err) {
    throw new ConfigError(`Config file ${abs} is not valid YAML/JSON: ${(err as Error).message}`, ['syntax']);
  }
}

/** The state directory, relative to the config file's folder unless absolute. */
export function loadedConfig(config: WardenConfig, abs: string): LoadedConfig {
  const stateDir = isAbsolute(config.desk.stateDir) ? config.desk.stateDir : join(dirname(abs), config.desk.stateDir);
  return { config, path: abs, stateDir };
}

export function loadConfig(path: string = DEFAULT_CONFIG_PATH, options: LoadOptions = {}): LoadedConfig {
  const { abs, raw } = readConfigFile(path);
  return loadedConfig(parseConfig(raw, abs, options), abs);
}
