import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACTED, sanitize } from './redact';

export type { Logger } from 'pino';

const SECRET_KEYS = ['apiKey', 'api_key', 'secret', 'secretKey', 'passphrase', 'password', 'token', 'signature', 'privateKey', 'authorization'];

/** Field paths pino blanks out: at the top level and up to two levels down. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

function serializeError(err: Error) {
  return { type: err.name, message: sanitize(String(err.message)), stack: err.stack ? sanitize(err.stack) : undefined };
}

function scrubStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return sanitize(value);
  if (value instanceof Error) return serializeError(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubStrings(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = scrubStrings(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Tests capture logs through a stream to scan them for secrets. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'warden',
      level: options.level ?? process.env.WARDEN_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: {
        err: (err: unknown) => (err instanceof Error ? serializeError(err) : err),
      },
      formatters: {
        // Messages and string fields can still embed secrets (ccxt puts signed URLs in error text).
        log: (obj) => scrubStrings(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? sanitize(a) : a)) as Parameters<typeof method>;
          method.apply(this, cleaned);
        },
      },
    },
    options.destination,
  );
}
