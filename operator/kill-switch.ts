/**
 * The kill switch, whatever the channel (`warden stop`, Telegram `/stop`): record the stop in
 * Temporal, give the desk a few seconds to confirm its cancels, and where it does not, say so
 * plainly and cancel at the venues directly. One core, so both channels behave alike.
 */
import type { DeskControl, Operator, StopOutcome, UnconfirmedStop } from '../clients/desk-control';
import { errorMessage } from '../domain/error-message';

export interface DirectCancelResult {
  /** `<exchange>/<account>` */
  session: string;
  ok: boolean;
  cancelled: number;
  error?: string;
}

/** Cancels every open order of these sessions at their venues, bypassing Temporal (credentials from the secrets store). */
export interface DirectCanceller {
  cancel(sessions: readonly UnconfirmedStop[], op: Operator, reason: string): Promise<DirectCancelResult[]>;
}

export interface KillSwitchResult {
  outcome: StopOutcome;
  direct: DirectCancelResult[];
  /**
   * Every session confirmed its cancels, or has its stop recorded and was cancelled directly at its
   * venue. A stop Temporal never recorded is not complete: the session would trade again once it answers.
   */
  complete: boolean;
  /** Temporal could not be reached at all. */
  deskError?: string;
}

export interface KillSwitchDeps {
  /** The desk over Temporal; a rejection (server unreachable) leaves every configured session to the direct path. */
  desk: () => Promise<DeskControl>;
  /** The configured sessions (`<exchange>/<account>`), reached directly when Temporal cannot be. */
  configuredSessions: readonly string[];
  /** Built only when needed: it loads ccxt and the secrets store. */
  direct?: () => Promise<DirectCanceller>;
  confirmWithinMs?: number;
  /** Stop only these sessions (`<exchange>/<account>`): `warden session stop`. */
  only?: readonly string[];
}


export async function killSwitch(deps: KillSwitchDeps, op: Operator, reason: string): Promise<KillSwitchResult> {
  let outcome: StopOutcome;
  let deskError: string | undefined;
  try {
    const desk = await deps.desk();
    outcome = await desk.stopAll(op, reason, { confirmWithinMs: deps.confirmWithinMs, ...(deps.only ? { only: deps.only } : {}) });
  } catch (err) {
    deskError = errorMessage(err);
    const why = `stop NOT recorded: Temporal unreachable (${deskError}); orders NOT yet cancelled`;
    const reach = deps.only ?? deps.configuredSessions;
    outcome = { stopId: 'none', reports: [], unconfirmed: reach.map((session) => ({ session, recorded: false, why })) };
  }
  let direct: DirectCancelResult[] = [];
  if (outcome.unconfirmed.length && deps.direct) {
    try {
      direct = await (await deps.direct()).cancel(outcome.unconfirmed, op, reason);
    } catch (err) {
      direct = outcome.unconfirmed.map((u) => ({ session: u.session, ok: false, cancelled: 0, error: errorMessage(err) }));
    }
  }
  const cancelledDirectly = new Set(direct.filter((d) => d.ok).map((d) => d.session));
  const complete = !deskError && outcome.unconfirmed.every((u) => u.recorded && cancelledDirectly.has(u.session));
  return { outcome, direct, complete, ...(deskError ? { deskError } : {}) };
}
