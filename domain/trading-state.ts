/**
 * A session's one trading state, in the spirit of NautilusTrader's TradingState (ACTIVE /
 * REDUCING / HALTED) plus the desk's own STOPPED and ISOLATED. It is folded from the fields
 * the session keeps (its mode, the breaker, the rebalance wait, a SEV-1 isolation), so the
 * question "may this session place an order now?" has one answer, asked in one place.
 *
 * Precedence, strongest first: isolated > stopped > halted > reducing > active.
 * - isolated: a SEV-1 isolated the credentials; nothing may use them (no orders, no reads).
 * - stopped: the kill switch; open orders were cancelled, nothing new is placed.
 * - halted: the circuit breaker is open; the session still observes unless the key is gone.
 * - reducing: paused by an operator or waiting for a manual top-up; resting orders stay.
 * - active: trading.
 */
import { isOpen, type BreakerState } from './circuit-breaker';

export const TRADING_STATES = ['active', 'reducing', 'halted', 'stopped', 'isolated'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** What the session keeps that decides its state. */
export interface SessionFacts {
  mode: 'trading' | 'paused' | 'stopped';
  breaker: BreakerState;
  /** The rebalance workflow trading waits for, while it waits. */
  rebalancing?: string;
  /** Set while a SEV-1 isolates the credentials. */
  isolation?: { incidents: readonly string[] };
  /** A kill switch in progress (set with mode `stopped`, cleared by a resume). */
  stopRequested?: boolean;
}

export interface TradingStateView {
  state: TradingState;
  /** Why, in an operator's words. */
  why: string;
}

export function tradingState(f: SessionFacts): TradingStateView {
  if (f.isolation) return { state: 'isolated', why: `credentials isolated by ${f.isolation.incidents.join(', ') || 'a SEV-1 incident'}` };
  if (isOpen(f.breaker) && f.breaker.trippedBy === 'incident') return { state: 'isolated', why: f.breaker.reason ?? 'credentials isolated by a SEV-1 incident' };
  if (f.mode === 'stopped' || f.stopRequested) return { state: 'stopped', why: 'stopped by the kill switch' };
  if (isOpen(f.breaker)) return { state: 'halted', why: `circuit breaker open (${f.breaker.trippedBy ?? 'unknown'}): ${f.breaker.reason ?? ''}`.trimEnd() };
  if (f.mode === 'paused') return { state: 'reducing', why: f.rebalancing ? `waiting for the manual top-up ${f.rebalancing}` : 'paused by an operator' };
  return { state: 'active', why: 'trading' };
}

/** The one answer to "may the session place an order now?": only when active. */
export function mayPlace(f: SessionFacts): boolean {
  return tradingState(f).state === 'active';
}

/**
 * Whether the session reads its account this tick (status, marks, metrics). A halted session still
 * observes; a revoked key has nothing to observe with, and isolated credentials must not be used.
 * Kept as the session has always asked it (a breaker tripped by auth, even between the open and its
 * effects), so recorded histories replay.
 */
export function mayObserve(f: SessionFacts): boolean {
  return f.breaker.trippedBy !== 'auth' && !(f.breaker.trippedBy === 'incident' && isOpen(f.breaker)) && !f.isolation;
}

/** Whether a low warm balance may start the rebalancing procedure: only while trading and not already waiting for one. */
export function mayStartRebalance(f: SessionFacts): boolean {
  return f.mode === 'trading' && !f.rebalancing;
}
