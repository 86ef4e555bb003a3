import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configValueFindings, dotEnvFiles, realReach, secretEnvVars } from './policy';
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

/** Schema errors as `field.path: rule` lines. */
export function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
}

/** Seed section 1: production never takes secrets from env vars, .env files or plaintext config. */
export function findPlaintextSecretSources(raw: unknown, configPath: string, env: NodeJS.ProcessEnv, cwd: string): string[] {
  const found = secretEnvVars(env);
  for (const file of dotEnvFiles([resolve(cwd), dirname(resolve(configPath))])) found.push(`file ${file}`);
  for (const f of configValueFindings(raw)) {
    if (f.problem === 'secret-name') found.push(`config field ${f.field}`);
    else if (f.problem === 'secret-shape') found.push(`config field ${f.field} (its value looks like ${f.detail ?? 'a key'})`);
  }
  return found;
}

/** URL userinfo is refused in every profile: a `key:secret@` URL is a plaintext secret wherever it sits. */
function userinfoProblems(raw: unknown): string[] {
  return configValueFindings(raw)
    .filter((f) => f.problem === 'userinfo')
    .map((f) => `${f.field}: must not carry credentials in the URL (user:password@); keep them in Secrets Manager`);
}

export function parseConfig(raw: unknown, source: string, options: LoadOptions = {}): WardenConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const userinfo = userinfoProblems(raw);
  if (userinfo.length) throw new ConfigError(`Invalid config ${source}:\n  ${userinfo.join('\n  ')}`, userinfo);
  // Before the schema: a plaintext `apiKey` field is named as a secret, not as an unknown key.
  if ((raw as { profile?: unknown } | null)?.profile === 'production') {
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
  const config = parsed.data;
  // The rules follow what the config reaches, not what it calls itself: a "paper" desk on a real venue or real AWS is refused.
  if (config.profile === 'paper') {
    const reach = realReach(config).map((r) => `profile: paper but ${r}: use profile production`);
    if (reach.length) throw new ConfigError(`Invalid config ${source}:\n  ${reach.join('\n  ')}`, reach);
  }
  return config;
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
