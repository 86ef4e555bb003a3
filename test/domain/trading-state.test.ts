import { describe, expect, it } from 'vitest';
import { initialBreaker, trip, type BreakerState, type TripCause } from '../../domain/circuit-breaker';
import { testClock } from '../helpers/clock';
import { mayObserve, mayPlace, mayStartRebalance, tradingState, TRADING_STATES, type SessionFacts } from '../../domain/trading-state';

const CAUSES: TripCause[] = ['daily_loss', 'max_drawdown', 'auth', 'exchange_failures', 'manual', 'incident', 'key_audit'];
const BREAKERS: BreakerState[] = [initialBreaker(), ...CAUSES.map((c) => trip(initialBreaker(), c, `tripped by ${c}`, testClock().toISOString()))];
const MODES: SessionFacts['mode'][] = ['trading', 'paused', 'stopped'];

/** Every combination of what the session keeps. */
function* allFacts(): Generator<SessionFacts> {
  for (const mode of MODES)
    for (const breaker of BREAKERS)
      for (const rebalancing of [undefined, 'rebalance/binance/main/1'])
        for (const isolation of [undefined, { incidents: ['incident/x'] }])
          for (const stopRequested of [false, true]) yield { mode, breaker, rebalancing, isolation, stopRequested };
}

/** States the session can reach: isolation and a kill switch both come with mode stopped, and a resume clears them together. */
const reachable = (f: SessionFacts) => (!f.isolation || f.mode === 'stopped') && (!f.stopRequested || f.mode === 'stopped');

/** The three guards the session used before the state machine (runTick, placeIntents, the loop). */
const oldMayPlace = (f: SessionFacts) => !(f.stopRequested || f.mode !== 'trading' || f.breaker.status === 'open');

describe('the trading state machine', () => {
  const facts = [...allFacts()];

  it('gives every combination exactly one state, with a reason', () => {
    expect(facts).toHaveLength(MODES.length * BREAKERS.length * 2 * 2 * 2);
    for (const f of facts) {
      const v = tradingState(f);
      expect(TRADING_STATES).toContain(v.state);
      expect(v.why.length).toBeGreaterThan(0);
    }
  });

  it('places only when active, never where the old guards refused, and exactly as they did in every reachable state', () => {
    for (const f of facts) {
      expect(mayPlace(f)).toBe(tradingState(f).state === 'active');
      if (mayPlace(f)) expect(oldMayPlace(f), JSON.stringify(f)).toBe(true);
      if (reachable(f)) expect(mayPlace(f), JSON.stringify(f)).toBe(oldMayPlace(f));
    }
  });

  it('follows the precedence isolated > stopped > halted > reducing > active', () => {
    const open = (c: TripCause) => BREAKERS[CAUSES.indexOf(c) + 1]!;
    const closed = initialBreaker();
    const cases: Array<[SessionFacts, string]> = [
      [{ mode: 'stopped', breaker: open('incident'), isolation: { incidents: ['incident/a'] } }, 'isolated'],
      [{ mode: 'stopped', breaker: open('incident') }, 'isolated'],
      [{ mode: 'stopped', breaker: open('daily_loss') }, 'stopped'],
      [{ mode: 'trading', breaker: closed, stopRequested: true }, 'stopped'],
      [{ mode: 'paused', breaker: open('key_audit'), rebalancing: 'rb-1' }, 'halted'],
      [{ mode: 'trading', breaker: open('exchange_failures') }, 'halted'],
      [{ mode: 'paused', breaker: closed, rebalancing: 'rb-1' }, 'reducing'],
      [{ mode: 'paused', breaker: closed }, 'reducing'],
      [{ mode: 'trading', breaker: closed }, 'active'],
    ];
    for (const [f, state] of cases) expect(tradingState(f).state, JSON.stringify(f)).toBe(state);
    expect(tradingState({ mode: 'paused', breaker: closed, rebalancing: 'rb-1' }).why).toBe('waiting for the manual top-up rb-1');
    expect(tradingState({ mode: 'stopped', breaker: open('incident'), isolation: { incidents: ['incident/a', 'incident/b'] } }).why).toBe('credentials isolated by incident/a, incident/b');
  });

  it('observes unless the key was refused or the credentials are isolated', () => {
    for (const f of facts) {
      const gone = f.breaker.trippedBy === 'auth' || (f.breaker.trippedBy === 'incident' && f.breaker.status === 'open') || !!f.isolation;
      expect(mayObserve(f), JSON.stringify(f)).toBe(!gone);
      // Whatever may place may observe.
      if (mayPlace(f)) expect(mayObserve(f)).toBe(true);
    }
  });

  it('starts a rebalance only while trading and not already waiting for one', () => {
    for (const f of facts) expect(mayStartRebalance(f)).toBe(f.mode === 'trading' && !f.rebalancing);
  });
});
