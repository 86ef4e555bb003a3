import type { ActivityDeps } from './deps';

export interface DailyReport {
  text: string;
  sessions: number;
  openIncidents: number;
  /** When the figures were read, by the worker's clock (deps.now); the report is dated by it. Absent in results recorded by older workers. */
  at?: string;
}

/** The seed's INFO daily report: P&L, balances, breaker state and open incidents, in a few phone-sized lines. */
export function createDailyReportActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    async buildDailyReport(): Promise<DailyReport> {
      const at = now().toISOString();
      const [sessions, incidents] = await Promise.all([deps.sessionControl.status([]), deps.sessionControl.incidents?.() ?? []]);
      const lines = sessions.map((s) => {
        const balances = Object.entries(s.positions)
          .filter(([, b]) => b.total > 0)
          .map(([asset, b]) => `${asset} ${Number(b.total.toPrecision(6))}`)
          .join(', ');
        const breaker = s.breaker.status === 'open' ? `breaker OPEN (${s.breaker.trippedBy})` : 'breaker closed';
        const b = s.books;
        // The books from the session's own fills; a session from before fills were read has none.
        const books = b
          ? `; realized ${b.realizedPnl.toFixed(2)} USD, unrealized ${b.unrealizedPnl.toFixed(2)} USD, fees ${b.feesPaid.toFixed(2)} USD, ${b.fills} fill(s)${b.fillRate !== undefined ? `, fill rate ${(b.fillRate * 100).toFixed(0)}%` : ''}`
          : '';
        return `${s.session}: ${s.mode}, ${breaker}; value ${s.pnl.value.toFixed(2)} USD, day ${s.pnl.dailyPnlPct.toFixed(2)}%, drawdown ${s.pnl.drawdownPct.toFixed(2)}%${books}; ${balances || 'no balances'}`;
      });
      const open = incidents.map((i) => `${i.id} ${i.severity} ${i.phase}${i.acknowledgedBy ? '' : ' (not acknowledged)'}`);
      const text = [
        `Daily report: ${sessions.length} session(s)`,
        ...lines,
        open.length ? `Open incidents: ${open.join('; ')}` : 'Open incidents: none',
      ].join('\n');
      return { text, sessions: sessions.length, openIncidents: incidents.length, at };
    },
  };
}
