/**
 * One run of a trading session: what it carries over continue-as-new, what it keeps only for this
 * run, and the runner of the state machine's effects (domain/session-machine.ts). The procedures
 * (tick, kill switch, handlers) share this one object instead of a dozen closures' variables.
 */
import { allHandlersFinished, CancellationScope, condition, log, ParentClosePolicy, patched, startChild, workflowInfo } from '@temporalio/workflow';
import { initialBreaker, type KeyAuditHistory } from '../../domain/circuit-breaker';
import type { KeyAuditResultMessage } from '../../domain/key-audit';
import type { MarketSnapshot } from '../../domain/market';
import { transition, type SessionControl, type SessionEffect, type SessionEvent } from '../../domain/session-machine';
import { makeAlert, type AlertName, type AlertSeverity, type IncidentSeverity } from '../../domain/severity';
import { rebalanceWorkflowId } from '../../contracts/rebalance';
import type { CarriedState, SessionBooks, SessionInput, SessionStatus, StopReport, StopResult } from '../../contracts/session';
import { rebalanceWorkflow } from '../rebalance';
import type { SessionReconciler } from '../session-reconciliation';
import { cancelAllOrders, recordAudit, sendAlert } from './activities';

type Carried = Omit<CarriedState, 'reconciliation' | 'breaker' | 'mode' | 'keyAudit' | 'rebalancing' | 'isolation' | 'cancelPending' | 'rebalances'> & { rebalances: number };

export class SessionRun {
  readonly session: string;
  readonly ref: { exchange: SessionInput['exchange']; account: string };
  readonly epoch = workflowInfo().firstExecutionRunId;
  /** The state machine's state: mode, breaker, key audits, rebalance wait, isolation, stop. */
  control: SessionControl;
  /** Counters and books carried over continue-as-new. */
  kept: Carried;
  recon?: SessionReconciler;

  // ---- this run only ----
  snapshot?: MarketSnapshot;
  marks = { value: 0, dailyPnlPct: 0, drawdownPct: 0 };
  /** When this run last measured the venue's clock (tick time); unset: on its first tick. */
  clockCheckedMs?: number;
  /** The books as of the last tick that read fills. */
  books?: SessionBooks;
  lastRefusals: string[] = [];
  refusedLastTick = new Set<string>();
  readonly recentTickLagMs: number[] = [];
  /** Placements in flight, and the scope of the one running, so a stop can call off its retries. */
  placing = 0;
  placementScope?: CancellationScope;
  /** Second sweeps, dead man's switch arming and key-audit halts still running: the run hands over after them. */
  sweeping = 0;
  arming = false;
  keyAuditHalts = 0;
  /** Look at the account again now, not at the next tick. */
  wake = false;
  /** Cancel-alls the venue has confirmed (no open order left): a snapshot read before one lists orders that are gone. */
  cancelsConfirmed = 0;
  deadMansSwitch: SessionStatus['deadMansSwitch'];
  armedAtMs?: number;
  /** The Signal and the Update of one kill switch share its id: the second to arrive waits for the first. */
  readonly stopsInFlight = new Map<string, Promise<StopResult>>();
  readonly pendingAlerts = new Set<Promise<unknown>>();

  constructor(readonly input: SessionInput) {
    this.session = `${input.exchange}/${input.account}`;
    this.ref = { exchange: input.exchange, account: input.account };
    const c = input.carried;
    const noKeyAudits: KeyAuditHistory<KeyAuditResultMessage> = {};
    this.control = {
      mode: c?.mode ?? 'trading',
      breaker: c?.breaker ?? initialBreaker(),
      keyAudit: c?.keyAudit ?? noKeyAudits,
      rebalancing: c?.rebalancing,
      isolation: c?.isolation,
      stopRequested: false,
      cancelPending: c?.cancelPending,
    };
    this.kept = {
      orderSeq: c?.orderSeq ?? 0,
      risk: c?.risk,
      strategy: c?.strategy,
      ticks: c?.ticks ?? 0,
      lastWorker: c?.lastWorker,
      lastStop: c?.lastStop,
      failovers: c?.failovers ?? 0,
      auditSeq: c?.auditSeq ?? 0,
      rebalances: c?.rebalances ?? 0,
      ...(c?.fills ? { fills: c.fills } : {}),
    };
  }

  nowIso(): string {
    return new Date(Date.now()).toISOString();
  }

  auditId(what: string): string {
    return `${this.session}/${this.epoch}/${what}/${++this.kept.auditSeq}`;
  }

  status(): SessionStatus {
    const { control: c, kept: k, snapshot } = this;
    return {
      session: this.session,
      mode: c.mode,
      breaker: c.breaker,
      ticks: k.ticks,
      lastTick: snapshot ? { at: snapshot.at, worker: snapshot.worker } : undefined,
      positions: snapshot?.balances ?? {},
      pnl: this.marks,
      ...(this.books ? { books: this.books } : {}),
      openOrders: snapshot?.openOrders ?? [],
      orderSeq: k.orderSeq,
      lastRefusals: this.lastRefusals,
      lastStop: k.lastStop,
      failovers: k.failovers,
      worker: k.lastWorker,
      rebalancing: c.rebalancing,
      recentTickLagMs: this.recentTickLagMs,
      deadMansSwitch: this.deadMansSwitch,
      keyAudit: c.keyAudit,
      reconciliation: this.recon?.status(),
      ...(c.isolation ? { isolation: c.isolation } : {}),
    };
  }

  /** What the next run starts from. It may start on any worker: failover detection starts afresh there. */
  carried(): CarriedState {
    const { stopRequested: _perRun, ...control } = this.control;
    return { ...this.kept, ...control, lastWorker: undefined, ...(this.recon ? { reconciliation: this.recon.carried() } : {}) };
  }

  /** Fire and forget: a Telegram outage must not stop the desk from trading or stopping. */
  async alert(name: AlertName, message: string, severity?: AlertSeverity, extra: { subject?: string; incident?: IncidentSeverity | null } = {}): Promise<void> {
    const scope = { ...this.ref, subject: extra.subject };
    const p = sendAlert({ alert: makeAlert(name, { message, at: this.nowIso(), scope, severity, incident: extra.incident }), actor: this.session }).catch((err) =>
      log.error('alert failed', { err: String(err) }),
    );
    // Runs started before this change awaited each alert; replaying them must do the same.
    if (!patched('fire-and-forget-alerts')) return void (await p);
    this.pendingAlerts.add(p);
    void p.finally(() => this.pendingAlerts.delete(p));
  }

  sessionEvent(event: string, detail: string): Promise<unknown> {
    return recordAudit({ id: this.auditId(event), type: 'session_event', actor: this.session, data: { session: this.session, event, detail } });
  }

  /** Cancels every open order in a scope no cancellation can interrupt, and records what it cancelled. */
  cancelEverything(by: string, reason: string, waitForPlacements = true): Promise<StopReport['cancelled']> {
    return CancellationScope.nonCancellable(async () => {
      if (waitForPlacements) await condition(() => this.placing === 0);
      const { cancelled } = await cancelAllOrders({ ...this.ref, symbols: this.input.symbols, reason, by });
      // cancelAllOrders returns once the venue lists no open order on these symbols.
      this.cancelsConfirmed += 1;
      if (this.snapshot) this.snapshot = { ...this.snapshot, openOrders: [] };
      return cancelled.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId, symbol: o.symbol }));
    });
  }

  /**
   * Feeds one event to the state machine and runs its effects in order. Effects with nothing to wait
   * for run inline, so up to the first command nothing yields: a handler's first command is issued
   * in the same step as before the machine existed, and histories replay.
   */
  apply(event: SessionEvent): Promise<void> {
    const { state, effects } = transition(this.control, event, this.nowIso());
    this.control = state;
    return this.runFrom(effects, 0);
  }

  /** apply() where nothing may wait (a Signal handler): its effects run on, and a failure is logged. */
  applyNow(event: SessionEvent): void {
    this.apply(event).catch((err: unknown) => log.error(`session ${event.type}: an effect failed`, { err: String(err) }));
  }

  private runFrom(effects: SessionEffect[], from: number): Promise<void> {
    for (let i = from; i < effects.length; i++) {
      const running = this.run(effects[i]!);
      if (running) return running.then(() => this.runFrom(effects, i + 1));
    }
    return Promise.resolve();
  }

  private run(effect: SessionEffect): Promise<unknown> | undefined {
    switch (effect.type) {
      case 'wake':
        this.wake = true;
        return undefined;
      case 'halt':
        return this.halt(effect);
      case 'alert_already_halted':
        return this.alert('circuit_breaker_triggered', `${this.session}: ${effect.reason}; trading already halted (${this.control.breaker.trippedBy ?? 'open'})`, undefined, {
          subject: 'key_audit',
          incident: effect.keyAuditIncident,
        });
      case 'audit_breaker_closed':
        return recordAudit({ id: this.auditId('breaker'), type: 'circuit_breaker', actor: effect.by, data: { session: this.session, state: 'closed', by: effect.by, reason: effect.reason } });
      case 'session_event':
        return this.sessionEvent(effect.event, effect.detail);
      case 'start_rebalance':
        return this.startRebalance(effect.warmBalanceUsd);
    }
  }

  /** The breaker opened: audit it, cancel every open order (unless the key is gone), alert. */
  private async halt(e: Extract<SessionEffect, { type: 'halt' }>): Promise<void> {
    const by = e.by ?? this.session;
    await recordAudit({ id: this.auditId('breaker'), type: 'circuit_breaker', actor: by, data: { session: this.session, state: 'open', by, reason: e.reason } });
    const cancelled = e.cancel ? await this.cancelEverything(by, `circuit breaker: ${e.reason}`).catch(() => []) : [];
    await this.alert(
      e.alert,
      `${this.session}: ${e.reason}; ${cancelled.length} open order(s) cancelled; trading halted until an operator resumes`,
      undefined,
      e.cause === 'key_audit' ? { subject: 'key_audit', incident: e.keyAuditIncident } : {},
    );
  }

  /**
   * Low warm balance: trading paused, hand over to the rebalancing procedure, which waits for a
   * human to move funds and signals back when they arrive.
   */
  private async startRebalance(value: number): Promise<void> {
    const { input, session } = this;
    const id = `${rebalanceWorkflowId(input.exchange, input.account)}/${++this.kept.rebalances}`;
    await startChild(rebalanceWorkflow, {
      workflowId: id,
      args: [{ ...input.rebalance!, exchange: input.exchange, account: input.account, symbols: input.symbols, warmBalanceUsd: value, thresholdUsd: input.risk.lowBalanceUsd }],
      // The procedure outlives this run's continue-as-new and waits for its human regardless.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Manual top-up for ${session}: warm balance ${value.toFixed(2)} USD`,
    });
    await this.apply({ type: 'rebalance_started', id, detail: `warm balance ${value.toFixed(2)} USD below ${input.risk.lowBalanceUsd} USD: ${id}` });
  }

  recordTickLag(ms: number): void {
    this.recentTickLagMs.push(ms);
    if (this.recentTickLagMs.length > 50) this.recentTickLagMs.shift();
  }

  /** Lets in-flight stops, resumes, sweeps and alerts finish before handing over to the next run. */
  async drained(): Promise<void> {
    await condition(allHandlersFinished);
    await condition(() => this.sweeping === 0);
    await condition(() => !this.arming);
    await condition(() => this.keyAuditHalts === 0);
    await condition(() => this.pendingAlerts.size === 0, '5 minutes');
  }
}
