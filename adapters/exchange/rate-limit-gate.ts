/**
 * What a venue's rate-limit answer (429, or binance's 418) asks of the client: send nothing until its
 * Retry-After has passed. A venue limits and bans an address, not a key, so every gateway of the
 * process to the same venue host shares one gate (the provider's, one per process): retries that ignore it (Temporal's, the next tick's,
 * another session's) are what turn a 429 into binance's IP ban, and a banned desk cannot cancel.
 */
export class RateLimitGate {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long nothing may be sent to this venue host, ms (0: send). */
  waitMs(host: string): number {
    return Math.max(0, (this.until.get(host) ?? 0) - this.now());
  }

  /** The venue refused for rate: hold back for its Retry-After (at least a second when it names none). */
  limited(host: string, retryAfterSec: number | undefined): void {
    const holdMs = Math.max(1_000, (retryAfterSec ?? 0) * 1_000);
    this.until.set(host, Math.max(this.until.get(host) ?? 0, this.now() + holdMs));
  }
}

/** The Retry-After header of ccxt's last response, in seconds, if it sent a number. */
export function retryAfterSec(headers: unknown): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const entry = Object.entries(headers as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'retry-after');
  const value = Number(entry?.[1]);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
