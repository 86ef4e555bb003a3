/**
 * Scrubs secrets out of text before it reaches a log line, an error message, an
 * alert, an audit event or a report. Two layers: patterns for what secrets look
 * like on the wire (ccxt errors embed signed URLs and headers), and every value
 * the secrets store has handed out, in each form it can be written in
 * (raw, URL-encoded, JSON-escaped, base64, base64url).
 */

export const REDACTED = '[REDACTED]';

/**
 * Secrets of at least this length are scrubbed wherever they appear; shorter
 * ones only as whole tokens (not glued to letters or digits), so a 3-character
 * passphrase is still scrubbed from `pass=abc` or `"abc"` without blanking
 * every word that happens to contain it.
 */
export const SUBSTRING_MIN = 6;
/** An unaligned base64 core shorter than this would match ordinary base64 by chance. */
const BASE64_CORE_MIN = 8;

/** Registered raw values, and the forms derived from them (longest first when scrubbing). */
const knownSecrets = new Set<string>();
let forms: { anywhere: string[]; tokens: RegExp[] } | undefined;

/** The secrets store registers every value it hands out, so it is scrubbed wherever it appears, at any length. */
export function registerSecret(value: string | undefined): void {
  if (!value || knownSecrets.has(value)) return;
  knownSecrets.add(value);
  forms = undefined;
}

export function forgetRegisteredSecrets(): void {
  knownSecrets.clear();
  forms = undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unpad = (b64: string) => b64.replace(/=+$/, '');
const toUrlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 characters that depend on the secret's bytes alone, at each of the
 * three byte alignments: a secret inside a longer encoded blob (a Basic auth
 * header of `key:secret`, a JSON body) shows one of them.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b64 = unpad(Buffer.concat([Buffer.alloc(k), bytes]).toString('base64'));
    const from = Math.ceil((8 * k) / 6);
    const to = Math.floor((8 * (k + bytes.length)) / 6);
    const core = b64.slice(from, to);
    if (core.length >= BASE64_CORE_MIN) cores.push(core);
  }
  return cores;
}

/** Every way a secret can be written: raw, URL-encoded (component, URI, form), JSON-escaped, base64 and base64url. */
export function secretForms(secret: string): { whole: string[]; cores: string[] } {
  const bytes = Buffer.from(secret, 'utf8');
  const b64 = bytes.toString('base64');
  const component = encodeURIComponent(secret);
  const whole = new Set([
    secret,
    component,
    component.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    encodeURI(secret),
    JSON.stringify(secret).slice(1, -1),
    b64,
    unpad(b64),
    toUrlSafe(b64),
    unpad(toUrlSafe(b64)),
  ]);
  const cores = new Set<string>();
  for (const core of base64Cores(bytes)) {
    cores.add(core);
    cores.add(toUrlSafe(core));
  }
  return { whole: [...whole], cores: [...cores] };
}

function compiledForms(): { anywhere: string[]; tokens: RegExp[] } {
  if (forms) return forms;
  const anywhere = new Set<string>();
  const tokens = new Set<string>();
  for (const secret of knownSecrets) {
    const { whole, cores } = secretForms(secret);
    for (const f of whole) (f.length >= SUBSTRING_MIN ? anywhere : tokens).add(f);
    for (const c of cores) anywhere.add(c);
  }
  const byLength = (a: string, b: string) => b.length - a.length;
  forms = {
    anywhere: [...anywhere].sort(byLength),
    tokens: [...tokens].sort(byLength).map((t) => new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(t)}(?![A-Za-z0-9])`, 'g')),
  };
  return forms;
}

/** Names whose value is a credential, in `name=value` / `name: value` text (query strings, dumps, SDK errors). */
const SECRET_PARAM =
  '(?:[\\w-]*(?:secret|passw(?:or)?d|pwd|token|passphrase|api[_-]?key|apikey|secret[_-]?(?:access[_-]?)?key|private[_-]?key|signature|credentials?)|sign|X-MBX-APIKEY)';

const PATTERNS: Array<[RegExp, string]> = [
  // Userinfo in any URL: https://key:secret@host, postgres://user:pass@db, https://token@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, `$1${REDACTED}@`],
  // Authorization headers, whatever the scheme (Bearer, Basic, AWS4-HMAC-SHA256 Credential=..., Signature=...): the rest of the value.
  [/((?:^|[\s{,"'])(?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n}]+/gim, `$1${REDACTED}`],
  // Bearer / Basic credentials quoted outside a header.
  [/(\bBearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  [/(\bBasic\s+)(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{6,}={0,2}/g, `$1${REDACTED}`],
  // Quoted values of secret-named JSON-ish fields, spaces included.
  [/(["']?(?:apiKey|api_key|secret|passphrase|password|token|signature|privateKey|routing_key)["']?\s*[:=]\s*["'])(?!\[REDACTED\])[^"']+/gi, `$1${REDACTED}`],
  // name=value and name: value, quoted or not (S3 presigned X-Amz-Signature / X-Amz-Credential / X-Amz-Security-Token included).
  [new RegExp(`(\\b${SECRET_PARAM}["']?\\s*[:=]\\s*["']?)(?!\\[REDACTED\\])[^\\s&"',;}\\]]+`, 'gi'), `$1${REDACTED}`],
  // Exchange auth headers as they appear in dumped requests.
  [/((?:X-MBX-APIKEY|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE|X-BAPI-API-KEY|X-BAPI-SIGN|X-Amz-Security-Token)["']?\s*[:=]\s*["']?)(?!\[REDACTED\])[^"',\s}]+/gi, `$1${REDACTED}`],
  // Telegram bot tokens, in URLs (/bot<token>/) or alone.
  [/(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/g, REDACTED],
  // AWS access key ids.
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
];

export function sanitize(text: string): string {
  let out = text;
  const { anywhere, tokens } = compiledForms();
  for (const form of anywhere) if (out.includes(form)) out = out.split(form).join(REDACTED);
  for (const re of tokens) out = out.replace(re, REDACTED);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Every string inside a value (objects, arrays, errors) scrubbed; structure kept. */
export function sanitizeDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return sanitize(value) as T;
  if (value instanceof Error) return sanitizeError(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => sanitizeDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = sanitizeDeep(v, depth + 1);
  return out as T;
}

/** An Error safe to throw across an activity boundary: same class name, scrubbed message, no stack leak. */
export function sanitizeError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(sanitize(String(err)));
  const clean = new Error(sanitize(err.message));
  clean.name = err.name;
  if (err.stack) clean.stack = sanitize(err.stack);
  return clean;
}
