/**
 * An in-memory DeskControl: records every call with its operator and answers
 * with plausible, stateful data (a stop cancels the open orders it reports).
 * The channels (bot, CLI) are tested against this; the Temporal
 * implementation has its own end-to-end test.
 */
import type { DeskControl, IncidentSummary, Operator, RebalanceSummary, StopOutcome, UnconfirmedStop } from '../../clients/desk-control';
import type { SessionStatus, StopReport } from '../../contracts/session';

export type DeskMethod = keyof DeskControl;

export interface DeskCall {
  method: DeskMethod;
  args: unknown[];
}

const AT = '2025-01-15T14:00:00.000Z';

function session(name: string, orders: Array<{ id: string; symbol: string }>): SessionStatus {
  return {
    session: name,
    mode: 'trading',
    breaker: { status: 'closed', consecutiveFailures: 0 },
    ticks: 42,
    lastTick: { at: AT, worker: 'worker-a' },
    positions: {
      BTC: { free: 0.4, used: 0.1, total: 0.5 },
      USDT: { free: 10_000, used: 0, total: 10_000 },
    },
    pnl: { value: 42_500.5, dailyPnlPct: -1.2, drawdownPct: 3.4 },
    openOrders: orders.map((o, i) => ({
      id: o.id,
      clientOrderId: `wd-${name.replace('/', '-')}-${i + 1}`,
      symbol: o.symbol,
      side: 'buy',
      type: 'limit',
      price: 60_000,
      amount: 0.01,
      filled: 0,
      status: 'open',
    })),
    orderSeq: orders.length,
    lastRefusals: [],
    failovers: 0,
  };
}

export class FakeDesk implements DeskControl {
  readonly calls: DeskCall[] = [];
  private readonly failures = new Map<DeskMethod, Error>();
  state = {
    sessions: [
      session('binance/main', [
        { id: 'o-1', symbol: 'BTC/USDT' },
        { id: 'o-2', symbol: 'ETH/USDT' },
      ]),
      { ...session('okx/main', [{ id: 'o-3', symbol: 'BTC/USDT' }]), books: { realizedPnl: 12.5, unrealizedPnl: -3.25, feesPaid: 1.2, fills: 4, fillRate: 0.75 } },
    ],
    rebalances: [
      { id: 'rb-1', session: 'binance/main', status: 'awaiting_transfer', amountNeededUsd: 5_000, warmBalanceUsd: 3_200, startedAt: AT },
    ] as RebalanceSummary[],
    incidents: [{ id: 'inc-1', severity: 'SEV-2', phase: 'containment', summary: 'exchange outage', openedAt: AT }] as IncidentSummary[],
  };

  /** Sessions the next stops leave unconfirmed (as a desk with no worker would). */
  unconfirmed: UnconfirmedStop[] = [];

  /** The next call to `method` throws `error`. */
  failNext(method: DeskMethod, error: Error): void {
    this.failures.set(method, error);
  }

  callsTo(method: DeskMethod): DeskCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  private enter(method: DeskMethod, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private rebalance(id: string): RebalanceSummary {
    const r = this.state.rebalances.find((x) => x.id === id);
    if (!r) throw new Error(`rebalance ${id} not found`);
    return r;
  }

  private incident(id: string): IncidentSummary {
    const i = this.state.incidents.find((x) => x.id === id);
    if (!i) throw new Error(`incident ${id} not found`);
    return i;
  }

  async sessions(): Promise<SessionStatus[]> {
    this.enter('sessions');
    return structuredClone(this.state.sessions);
  }

  async stopAll(op: Operator, reason: string): Promise<StopOutcome> {
    this.enter('stopAll', op, reason);
    const reports = this.state.sessions
      .filter((s) => s.mode !== 'stopped')
      .map((s) => {
        const cancelled = s.openOrders.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol }));
        s.mode = 'stopped';
        s.openOrders = [];
        s.lastStop = { session: s.session, cancelled, stoppedAt: AT };
        return s.lastStop;
      });
    return { stopId: 'stop/fake', reports, unconfirmed: structuredClone(this.unconfirmed) };
  }

  async pauseAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    this.enter('pauseAll', op, reason);
    for (const s of this.state.sessions) if (s.mode === 'trading') s.mode = 'paused';
    return structuredClone(this.state.sessions);
  }

  async resumeAll(op: Operator, reason: string): Promise<SessionStatus[]> {
    this.enter('resumeAll', op, reason);
    for (const s of this.state.sessions) {
      s.mode = 'trading';
      s.breaker = { ...s.breaker, status: 'closed', rearmedBy: op.id };
    }
    return structuredClone(this.state.sessions);
  }

  async rebalances(): Promise<RebalanceSummary[]> {
    this.enter('rebalances');
    return structuredClone(this.state.rebalances);
  }

  async confirmTransfer(id: string, op: Operator, transfer: { amountUsd: number; reference: string }): Promise<RebalanceSummary> {
    this.enter('confirmTransfer', id, op, transfer);
    const r = this.rebalance(id);
    r.status = 'confirming_balance';
    return { ...r };
  }

  async rejectRebalance(id: string, op: Operator, reason: string): Promise<RebalanceSummary> {
    this.enter('rejectRebalance', id, op, reason);
    const r = this.rebalance(id);
    r.status = 'rejected';
    return { ...r };
  }

  async incidents(): Promise<IncidentSummary[]> {
    this.enter('incidents');
    return structuredClone(this.state.incidents);
  }

  async declareIncident(op: Operator, input: { severity: IncidentSummary['severity']; summary: string }): Promise<IncidentSummary> {
    this.enter('declareIncident', op, input);
    const i: IncidentSummary = { id: `inc-${this.state.incidents.length + 1}`, severity: input.severity, phase: 'detection', summary: input.summary, openedAt: AT };
    this.state.incidents.push(i);
    return { ...i };
  }

  async acknowledgeIncident(id: string, op: Operator): Promise<IncidentSummary> {
    this.enter('acknowledgeIncident', id, op);
    const i = this.incident(id);
    i.acknowledgedBy = op.id;
    return { ...i };
  }
}
