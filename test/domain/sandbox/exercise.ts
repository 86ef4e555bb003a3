// Runs every domain module once on fixed inputs. Called both in plain Node and
// inside a Temporal workflow, whose results must match: proof the domain code
// loads in the workflow sandbox and is deterministic there.
import { initialBreaker, recordFailure } from '../../../domain/circuit-breaker';
import { clientOrderId } from '../../../domain/client-order-id';
import { auditKeys, formatFindings } from '../../../domain/key-audit';
import type { MarketSnapshot } from '../../../domain/market';
import { portfolioValue, roundDownToStep } from '../../../domain/portfolio';
import { checkOrder, checkPortfolio, initialRiskState, markToMarket } from '../../../domain/risk';
import { incidentTransition, openIncident } from '../../../domain/incident-procedure';
import { checkInput, TransferConfirmationInput } from '../../../domain/operator-input';
import { nextWait } from '../../../domain/operator-wait';
import { rotationTransition, startRotation } from '../../../domain/rotation-procedure';
import { makeAlert } from '../../../domain/severity';
import { StrategyConfig, runStrategy } from '../../../domain/strategy';
import { rebalanceNeed, tierTargets } from '../../../domain/wallet-tiers';

const snapshot: MarketSnapshot = {
  exchange: 'binance',
  account: 'main',
  at: '2025-01-15T12:00:00.000Z',
  quotes: { 'BTC/USDT': { bid: 49_990, ask: 50_010, last: 50_000 } },
  balances: { USDT: { free: 10_000, used: 0, total: 10_000 }, BTC: { free: 0.01, used: 0, total: 0.01 } },
  openOrders: [],
  markets: { 'BTC/USDT': { symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minNotional: 5 } },
  takerFeeRate: 0.001,
};

export function exercise(nowMs: number) {
  const config = StrategyConfig.parse({ kind: 'target-weight', targetWeights: { BTC: 0.15 }, maxOrderNotional: 1_000 });
  const decision = runStrategy(config, snapshot);
  const grid = runStrategy(StrategyConfig.parse({ kind: 'grid', symbol: 'BTC/USDT', lower: 45_000, upper: 55_000, levels: 5, orderAmount: 0.001 }), snapshot);
  const risk = initialRiskState(portfolioValue(snapshot), nowMs);
  const marks = markToMarket(risk, 9_000, nowMs + 86_400_000);
  const limits = { dailyLossLimitPct: 5, maxDrawdownPct: 20, maxLeverage: 3, marginHealthBufferPct: 30, maxOrderUsd: 1_000, maxOrdersPerMinute: 30, maxConcentrationPct: 20 };
  return {
    decision,
    grid,
    checks: decision.intents.map((i) => checkOrder(limits, i, snapshot, risk, nowMs)),
    marks,
    breaches: checkPortfolio(limits, marks),
    rounded: roundDownToStep(0.1 + 0.2, 0.1),
    ids: [0, 1, 99_999].map((runSeq) => clientOrderId('okx', { session: 'okx/main', runSeq })),
    breaker: recordFailure(initialBreaker(), 'auth', new Date(nowMs).toISOString()),
    audit: formatFindings(auditKeys({ exchange: 'bybit', account: 'main', trading: { read: true, trade: true, withdraw: true, transfer: false, ipWhitelist: [], keyId: 'k' } })),
    tiers: [tierTargets(12_345.67), rebalanceNeed({ coldUsd: 95_000, warmUsd: 4_000, hotUsd: 1_000 })],
    alert: makeAlert('circuit_breaker_triggered', { message: 'auth', at: snapshot.at, scope: { exchange: 'binance', account: 'main' } }),
    // The Update validators' zod rules (issue 14): same verdicts and messages in the sandbox as in Node.
    validators: [{ reference: 'tx 123' }, { reference: 'tx\u0007' }, { amountUsd: 100.123 }, { by: '' }].map((override) => {
      try {
        checkInput(TransferConfirmationInput, { by: 'tg:42', amountUsd: 5000, reference: 'TX 0xabc123', ...override });
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    }),
    procedures: {
      incident: incidentTransition(incidentTransition(openIncident('SEV-3').state, { type: 'not_acknowledged' }).state, { type: 'confirmed_real' }),
      rotation: rotationTransition({ ...startRotation({ venue: 'OKX', currentKey: 'k1', reason: 'due', createdAt: snapshot.at }).state, status: 'auditing' }, { type: 'pending_audited', pendingKey: 'k2', findings: [] }),
      wait: nextWait({ nudgeEveryMs: 30 * 60_000, giveUpAfterMs: 45 * 60_000 }, { reminders: 1, escalations: 0 }, 30 * 60_000),
    },
  };
}
