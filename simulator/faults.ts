import { childRng, type Rng } from './prng';
import { VENUES, type VenueId } from './types';

/**
 * Injected trouble for one venue. Everything is off by default.
 *
 * Every signed request carries a window (binance recvWindow, bybit X-BAPI-RECV-WINDOW,
 * okx expTime): the venue checks it when the request arrives and, for an order, again
 * when its matching engine gets to it, and refuses it with its own code once it has
 * passed. The two latencies sit on either side of the arrival check.
 */
export interface VenueFaults {
  /**
   * Every request is held this long before the venue sees it (a slow network or edge), so
   * the arrival check runs late: a hold past the window is refused. The request is still
   * processed if the client gives up.
   */
  latencyMs: number;
  /**
   * Order placements only: the venue admits the request (arrival check passed), then its
   * matching engine takes this long, and executes the order only if that is still inside
   * the window. Lookups are not slowed: this is the slow-placement case of issue #12.
   */
  orderLatencyMs: number;
  /**
   * A latency spike: the next N admitted order placements take `orderSpikeMs` in the engine
   * instead of `orderLatencyMs` (past the window, the venue refuses them as late), and then
   * the venue is as before: the spikes of issue #12, which steady latency does not reproduce.
   */
  orderSpikes: number;
  orderSpikeMs: number;
  /**
   * The next N admitted order placements lose their answer at once, before the engine has
   * run them (the connection is dropped; the engine still runs them after `orderLatencyMs`).
   */
  acceptThenDrop: number;
  /**
   * Probability 0..1 that an admitted order placement is answered at once with a bare
   * `errorStatus` page while the engine still runs it after `orderLatencyMs` (a 5xx storm
   * at the edge, with the backend working). Seeded, from its own stream.
   */
  acceptThen5xxRate: number;
  /** Probability 0..1 that a request gets a bare 5xx from the "gateway", drawn from a seeded stream. */
  errorRate: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** The next N requests are refused with the venue's rate-limit answer. */
  rateLimitRemaining: number;
  /** Binance answers 429, or 418 once an IP is banned; the others always 429. */
  rateLimitStatus: 429 | 418;
  /** How far the venue's clock runs ahead of real time, ms (negative: behind): its server time and request windows follow it. */
  clockSkewMs: number;
  /** The Retry-After (seconds) a rate-limit answer carries, as the venues send it. */
  rateLimitRetryAfterSec: number;
  /**
   * Binance's escalation: a client that sends again before a 429's Retry-After has passed is
   * banned (418) for this long, every request refused. 0: no escalation (the default, as before).
   */
  banMs: number;
  maintenance: boolean;
  /** The next N successful order placements are executed, then the socket is destroyed unanswered. */
  dropOrderResponses: number;
  /**
   * The next N order placements are refused with the venue's rate-limit answer before it
   * admits them (nothing placed). Unlike `rateLimitRemaining`, reads are left alone: a test
   * can fail exactly one placement attempt while the session's snapshots go through.
   */
  refuseOrders: number;
  /**
   * Order lookups by client order id (what a placement retry reads before it sends) are held
   * this long before the venue sees them: an attempt that has started and not yet sent.
   */
  lookupLatencyMs: number;
  /**
   * A placement the engine has run (the order exists) has its answer held this long:
   * the venue took the order, the client does not know yet.
   */
  orderAnswerLatencyMs: number;
}

export type FaultPatch = Partial<VenueFaults>;

/** How long after a 429 a request still counts as sent before the client could have read it. */
const IN_FLIGHT_GRACE_MS = 200;

const NONE: VenueFaults = {
  latencyMs: 0,
  orderLatencyMs: 0,
  orderSpikes: 0,
  orderSpikeMs: 0,
  acceptThenDrop: 0,
  acceptThen5xxRate: 0,
  errorRate: 0,
  errorStatus: 500,
  rateLimitRemaining: 0,
  rateLimitStatus: 429,
  clockSkewMs: 0,
  rateLimitRetryAfterSec: 1,
  banMs: 0,
  maintenance: false,
  dropOrderResponses: 0,
  refuseOrders: 0,
  lookupLatencyMs: 0,
  orderAnswerLatencyMs: 0,
};

export type FaultDecision = { kind: 'maintenance' } | { kind: 'rate_limit'; status: 429 | 418; retryAfterSec: number } | { kind: 'server_error'; status: number } | { kind: 'none' };

/** What happens to one admitted order placement. */
export interface OrderFault {
  /** How long the matching engine takes before it runs the order (0: at once). */
  engineDelayMs: number;
  /** The client's answer, if it is lost before the engine runs: a dropped connection, or a bare 5xx. */
  lostAnswer?: { kind: 'drop' } | { kind: 'server_error'; status: number };
}

export class Faults {
  private state = new Map<VenueId, VenueFaults>();
  private rngs = new Map<VenueId, Rng>();
  private orderRngs = new Map<VenueId, Rng>();
  /** Binance's rate-limit state (banMs > 0): until when a 429's Retry-After runs, and an IP ban. */
  private limited = new Map<VenueId, { from: number; until: number }>();
  private bannedUntil = new Map<VenueId, number>();
  /** 418 answers given, per venue: what a test of a well-behaved client expects to stay 0. */
  private bans = new Map<VenueId, number>();

  constructor(private seed: number) {
    this.reset(seed);
  }

  reset(seed = this.seed): void {
    this.seed = seed;
    for (const v of VENUES) {
      this.state.set(v, { ...NONE });
      this.rngs.set(v, childRng(seed, `faults:${v}`));
      // A separate stream, so turning order faults on leaves the error-rate sequence as it was.
      this.orderRngs.set(v, childRng(seed, `order-faults:${v}`));
    }
  }

  set(venue: VenueId | 'all', patch: FaultPatch): void {
    for (const v of venue === 'all' ? VENUES : [venue]) this.state.set(v, { ...this.get(v), ...patch });
  }

  clear(venue?: VenueId): void {
    for (const v of venue ? [venue] : VENUES) {
      this.state.set(v, { ...NONE });
      this.limited.delete(v);
      this.bannedUntil.delete(v);
    }
  }

  /** How many requests the venue has answered with a ban (418) since the simulator started. */
  banAnswers(venue: VenueId): number {
    return this.bans.get(venue) ?? 0;
  }

  get(venue: VenueId): VenueFaults {
    return { ...(this.state.get(venue) ?? NONE) };
  }

  all(): Record<VenueId, VenueFaults> {
    return { binance: this.get('binance'), okx: this.get('okx'), bybit: this.get('bybit') };
  }

  /** Decides, in a fixed order, whether this request is refused before the venue logic sees it. */
  decide(venue: VenueId, nowMs: number = Date.now()): FaultDecision {
    const f = this.state.get(venue) ?? { ...NONE };
    if (f.maintenance) return { kind: 'maintenance' };
    if (venue === 'binance' && f.banMs > 0) {
      const banned = this.bannedUntil.get(venue) ?? 0;
      const limited = this.limited.get(venue);
      // A request in flight when the 429 went out could not have known: it gets the 429 too.
      if (limited && nowMs < limited.from && nowMs >= banned) {
        return { kind: 'rate_limit', status: 429, retryAfterSec: Math.max(1, Math.ceil((limited.until - nowMs) / 1000)) };
      }
      // Sending again before a 429's Retry-After has passed is what gets an IP banned.
      if (nowMs < banned || (limited && nowMs < limited.until)) {
        const until = nowMs < banned ? banned : nowMs + f.banMs;
        this.bannedUntil.set(venue, until);
        this.bans.set(venue, this.banAnswers(venue) + 1);
        return { kind: 'rate_limit', status: 418, retryAfterSec: Math.ceil((until - nowMs) / 1000) };
      }
    }
    if (f.rateLimitRemaining > 0) {
      f.rateLimitRemaining--;
      const status = venue === 'binance' ? f.rateLimitStatus : 429;
      if (status === 418) this.bans.set(venue, this.banAnswers(venue) + 1);
      this.limited.set(venue, { from: nowMs + IN_FLIGHT_GRACE_MS, until: nowMs + f.rateLimitRetryAfterSec * 1000 });
      return { kind: 'rate_limit', status, retryAfterSec: f.rateLimitRetryAfterSec };
    }
    if (f.errorRate > 0) {
      const rng = this.rngs.get(venue);
      if (rng && rng() < f.errorRate) return { kind: 'server_error', status: f.errorStatus };
    }
    return { kind: 'none' };
  }

  /** Decides what happens to an order placement the venue has admitted (consumes an accept-then-drop). */
  decideOrder(venue: VenueId): OrderFault {
    const f = this.state.get(venue) ?? { ...NONE };
    const out: OrderFault = { engineDelayMs: f.orderLatencyMs };
    if (f.orderSpikes > 0) {
      f.orderSpikes--;
      out.engineDelayMs = f.orderSpikeMs;
    }
    if (f.acceptThenDrop > 0) {
      f.acceptThenDrop--;
      out.lostAnswer = { kind: 'drop' };
    } else if (f.acceptThen5xxRate > 0) {
      const rng = this.orderRngs.get(venue);
      if (rng && rng() < f.acceptThen5xxRate) out.lostAnswer = { kind: 'server_error', status: f.errorStatus };
    }
    return out;
  }

  /** True (and consumes one) when this successful order placement's response should be dropped. */
  takeDrop(venue: VenueId): boolean {
    const f = this.state.get(venue);
    if (!f || f.dropOrderResponses <= 0) return false;
    f.dropOrderResponses--;
    return true;
  }

  /** True (and consumes one) when this order placement is to be refused before admission. */
  takeOrderRefusal(venue: VenueId): boolean {
    const f = this.state.get(venue);
    if (!f || f.refuseOrders <= 0) return false;
    f.refuseOrders--;
    return true;
  }

  latency(venue: VenueId): number {
    return this.state.get(venue)?.latencyMs ?? 0;
  }
}
