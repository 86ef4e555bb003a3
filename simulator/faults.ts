import { childRng, type Rng } from './prng';
import { VENUES, type VenueId } from './types';

/** Injected trouble for one venue. Everything is off by default. */
export interface VenueFaults {
  /** Added before each request is handled (the request is still processed if the client gives up). */
  latencyMs: number;
  /** Probability 0..1 that a request gets a bare 5xx from the "gateway", drawn from a seeded stream. */
  errorRate: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** The next N requests are refused with the venue's rate-limit answer. */
  rateLimitRemaining: number;
  /** Binance answers 429, or 418 once an IP is banned; the others always 429. */
  rateLimitStatus: 429 | 418;
  maintenance: boolean;
  /** The next N successful order placements are executed, then the socket is destroyed unanswered. */
  dropOrderResponses: number;
}

export type FaultPatch = Partial<VenueFaults>;

const NONE: VenueFaults = {
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 500,
  rateLimitRemaining: 0,
  rateLimitStatus: 429,
  maintenance: false,
  dropOrderResponses: 0,
};

export type FaultDecision = { kind: 'maintenance' } | { kind: 'rate_limit'; status: 429 | 418 } | { kind: 'server_error'; status: number } | { kind: 'none' };

export class Faults {
  private state = new Map<VenueId, VenueFaults>();
  private rngs = new Map<VenueId, Rng>();

  constructor(private seed: number) {
    this.reset(seed);
  }

  reset(seed = this.seed): void {
    this.seed = seed;
    for (const v of VENUES) {
      this.state.set(v, { ...NONE });
      this.rngs.set(v, childRng(seed, `faults:${v}`));
    }
  }

  set(venue: VenueId | 'all', patch: FaultPatch): void {
    for (const v of venue === 'all' ? VENUES : [venue]) this.state.set(v, { ...this.get(v), ...patch });
  }

  clear(venue?: VenueId): void {
    for (const v of venue ? [venue] : VENUES) this.state.set(v, { ...NONE });
  }

  get(venue: VenueId): VenueFaults {
    return { ...(this.state.get(venue) ?? NONE) };
  }

  all(): Record<VenueId, VenueFaults> {
    return { binance: this.get('binance'), okx: this.get('okx'), bybit: this.get('bybit') };
  }

  /** Decides, in a fixed order, whether this request is refused before the venue logic sees it. */
  decide(venue: VenueId): FaultDecision {
    const f = this.state.get(venue) ?? { ...NONE };
    if (f.maintenance) return { kind: 'maintenance' };
    if (f.rateLimitRemaining > 0) {
      f.rateLimitRemaining--;
      return { kind: 'rate_limit', status: venue === 'binance' ? f.rateLimitStatus : 429 };
    }
    if (f.errorRate > 0) {
      const rng = this.rngs.get(venue);
      if (rng && rng() < f.errorRate) return { kind: 'server_error', status: f.errorStatus };
    }
    return { kind: 'none' };
  }

  /** True (and consumes one) when this successful order placement's response should be dropped. */
  takeDrop(venue: VenueId): boolean {
    const f = this.state.get(venue);
    if (!f || f.dropOrderResponses <= 0) return false;
    f.dropOrderResponses--;
    return true;
  }

  latency(venue: VenueId): number {
    return this.state.get(venue)?.latencyMs ?? 0;
  }
}
