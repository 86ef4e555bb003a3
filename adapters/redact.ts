/**
 * Scrubs secrets out of text before it reaches a log line or an error message.
 * Two layers: patterns for what secrets look like on the wire (ccxt errors embed
 * signed URLs and headers), and the exact values the secrets store has handed out.
 */
const knownSecrets = new Set<string>();

export const REDACTED = '[REDACTED]';

/** The secrets store registers every value it reads, so it is scrubbed wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function forgetRegisteredSecrets(): void {
  knownSecrets.clear();
}

const PATTERNS: Array<[RegExp, string]> = [
  // Query-string and form parameters that carry credentials or signatures.
  [/([?&;](?:signature|sign|apiKey|api_key|apikey|secret|passphrase|token|X-MBX-APIKEY)=)[^&\s"']+/gi, `$1${REDACTED}`],
  // Headers as they appear in dumped requests.
  [/((?:X-MBX-APIKEY|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE|X-BAPI-API-KEY|X-BAPI-SIGN)["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, `$1${REDACTED}`],
  // JSON-ish fields.
  [/(["']?(?:apiKey|api_key|secret|passphrase|password|token|signature|privateKey|routing_key)["']?\s*[:=]\s*["'])[^"']+/gi, `$1${REDACTED}`],
  // Telegram bot tokens, in URLs (/bot<token>/) or alone.
  [/(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/g, REDACTED],
  // AWS secret access keys in text.
  [/(aws_secret_access_key\s*[=:]\s*)\S+/gi, `$1${REDACTED}`],
];

export function sanitize(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** An Error safe to throw across an activity boundary: same class name, scrubbed message, no stack leak. */
export function sanitizeError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(sanitize(String(err)));
  const clean = new Error(sanitize(err.message));
  clean.name = err.name;
  if (err.stack) clean.stack = sanitize(err.stack);
  return clean;
}
