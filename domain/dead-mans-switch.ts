/**
 * The venue's own dead man's switch (issue #12): a countdown armed at the venue that
 * cancels the account's open orders when it runs out. A session re-arms it while it
 * lives, so if the whole desk dies (workers and Temporal alike) the venue itself
 * pulls the orders. Pure numbers and rules: workflows import this.
 *
 * What each venue offers for spot, over REST (what the desk speaks):
 * - okx: `POST /api/v5/trade/cancel-all-after`, `timeOut` in seconds, 0 or [10, 120];
 *   applies to every order-book instrument, spot included.
 * - binance: none for spot. `countdownCancelAll` exists only on USD-M and COIN-M
 *   futures (/fapi, /dapi) and options (/eapi); /api/v3 has no equivalent.
 * - bybit: `POST /v5/order/disconnected-cancel-all` (DCP, `product: SPOT`) sets a window,
 *   but it fires when a *private websocket* subscribed to `dcp` drops, and must first be
 *   enabled by bybit's account manager. A REST-only desk has nothing it can arm.
 * For binance and bybit the desk relies on the kill switch, the start-up reconciliation
 * (unknown orders cancelled) and alerting.
 */
import type { Venue } from './market';

/**
 * The countdown a session arms, seconds. Well above the 5 s tick (twelve ticks may be lost
 * before the venue acts) and below okx's 120 s ceiling: a dead desk's orders rest at most a minute.
 */
export const DEAD_MANS_SWITCH_SECONDS = 60;

export interface DeadMansSwitchSupport {
  supported: boolean;
  /** Accepted countdowns, seconds (0 always disables where supported). */
  minSeconds?: number;
  maxSeconds?: number;
  /** Why a venue has none the desk can use. */
  reason?: string;
}

export const DEAD_MANS_SWITCH: Readonly<Record<Venue, DeadMansSwitchSupport>> = {
  okx: { supported: true, minSeconds: 10, maxSeconds: 120 },
  binance: { supported: false, reason: 'binance spot has no cancel-after countdown (countdownCancelAll is futures/options only)' },
  bybit: { supported: false, reason: "bybit's DCP fires on a private websocket disconnect and needs enabling by bybit; the desk speaks REST only" },
};

/** The countdown to arm: the session's own choice, else the default, held to the venue's range. */
export function deadMansSwitchSeconds(venue: Venue, requested?: number): number {
  const v = DEAD_MANS_SWITCH[venue];
  const s = Math.round(requested ?? DEAD_MANS_SWITCH_SECONDS);
  return Math.min(v.maxSeconds ?? s, Math.max(v.minSeconds ?? s, s));
}

/**
 * Whether to re-arm now. Arming on every tick would cost one venue request per tick;
 * re-arming once a third of the countdown has passed keeps at least two thirds of it
 * in hand (40 s of 60) while costing one request in four ticks at the defaults.
 */
export function shouldRearm(lastArmedAtMs: number | undefined, countdownSeconds: number, nowMs: number): boolean {
  return lastArmedAtMs === undefined || nowMs - lastArmedAtMs >= (countdownSeconds * 1000) / 3;
}

/** What arming answered: armed until `triggerAt` (ISO), or not, and why (never an error for "unsupported"). */
export interface DeadMansSwitchArm {
  armed: boolean;
  venue: Venue;
  triggerAt?: string;
  reason?: string;
}
