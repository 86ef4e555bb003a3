import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyReportWorkflow } from '../workflows/daily-report';
import { eventsOf } from './helpers/audit-read';
import { openTempTrail } from './helpers/audit';
import { daysAgo, testNowMs } from './helpers/clock';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import type { AuditTrail } from '../adapters/audit/trail';

describe('daily report (INFO)', () => {
  let t: TemporalHarness;
  let audit: AuditTrail;
  beforeAll(async () => {
    t = await temporalHarness();
    audit = await openTempTrail();
    await t.startWorker({
      audit,
      sessionControl: {
        stop: async () => [],
        resume: async () => [],
        status: async () => [
          {
            session: 'binance/main',
            mode: 'trading',
            breaker: { status: 'open', trippedBy: 'daily_loss', reason: 'daily P&L -6%', consecutiveFailures: 0 },
            ticks: 10,
            positions: { USDT: { free: 900, used: 100, total: 1000 }, BTC: { free: 0.5, used: 0, total: 0.5 } },
            pnl: { value: 31_000, dailyPnlPct: -6, drawdownPct: 7.5 },
            books: { realizedPnl: 12.5, unrealizedPnl: -3.25, feesPaid: 1.2, fills: 4, fillRate: 2 / 3 },
            openOrders: [],
            orderSeq: 3,
            lastRefusals: [],
            failovers: 0,
          },
        ],
        incidents: async () => [{ id: 'incident/daily_loss_limit:binance/main', severity: 'SEV-2', phase: 'investigation', summary: 'loss', openedAt: daysAgo(3) }],
      },
    });
  });
  afterAll(async () => t?.close());

  it('sends P&L, balances, breaker state and open incidents as an INFO alert, dated by the worker clock', async () => {
    const before = testNowMs();
    const text = await t.client.workflow.execute(dailyReportWorkflow, { taskQueue: t.taskQueue, workflowId: `daily-${t.taskQueue}` });
    expect(text).toBe(
      [
        'Daily report: 1 session(s)',
        'binance/main: trading, breaker OPEN (daily_loss); value 31000.00 USD, day -6.00%, drawdown 7.50%; realized 12.50 USD, unrealized -3.25 USD, fees 1.20 USD, 4 fill(s), fill rate 67%; USDT 1000, BTC 0.5',
        'Open incidents: incident/daily_loss_limit:binance/main SEV-2 investigation (not acknowledged)',
      ].join('\n'),
    );
    const sent = eventsOf(audit, 'alert').find((e) => e.data.condition === 'daily_report');
    expect(sent).toMatchObject({ data: { severity: 'INFO', delivered: true } });
    // The report is dated by the worker's clock when it read the figures (the alert id carries its dedup key and time).
    const [, day, at] = /^alert\/daily_report:([^/]+)\/([^/]+)\//.exec(sent!.id) ?? [];
    expect(Date.parse(at!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(at!)).toBeLessThanOrEqual(testNowMs());
    expect(day).toBe(at!.slice(0, 10));
  });
});
