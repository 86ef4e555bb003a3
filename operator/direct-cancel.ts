/**
 * The kill switch's last resort: when the desk does not confirm a stop, the operator's own
 * process cancels at the venues through ccxt, with the trading key from the secrets store,
 * and writes every cancel to the audit trail. No Temporal, no worker involved.
 */
import type { WardenConfig } from '../config/schema';
import type { LoadedConfig } from '../config/load';
import type { AuditRecorder } from '../adapters/audit/trail';
import type { GatewayProvider } from '../adapters/exchange/provider';
import { sanitize } from '../adapters/redact';
import type { Operator, UnconfirmedStop } from '../clients/desk-control';
import type { DirectCanceller, DirectCancelResult } from './kill-switch';
import { errorMessage } from '../domain/error-message';

export function createDirectCanceller(deps: { config: WardenConfig; gateways: GatewayProvider; audit: AuditRecorder }): DirectCanceller {
  return {
    async cancel(sessions: readonly UnconfirmedStop[], op: Operator, reason: string): Promise<DirectCancelResult[]> {
      return Promise.all(sessions.map((u) => cancelOne(u, op, reason)));
    },
  };

  async function cancelOne(u: UnconfirmedStop, op: Operator, reason: string): Promise<DirectCancelResult> {
    const account = deps.config.exchanges.find((x) => `${x.exchange}/${x.account}` === u.session);
    if (!account) return { session: u.session, ok: false, cancelled: 0, error: 'not a configured account: no credentials to cancel with' };
    const why = `kill switch, cancelled directly at the venue (${u.why}): ${reason}`;
    try {
      const gw = await deps.gateways.gateway(account.exchange, account.account, 'trading');
      const cancelled = await gw.cancelAll(account.symbols);
      for (const o of cancelled) {
        await deps.audit.record({
          type: 'order_cancelled',
          actor: op.id,
          data: { exchange: account.exchange, account: account.account, symbol: o.symbol, orderId: o.id, clientOrderId: o.clientOrderId, reason: why },
        });
      }
      await deps.audit.record({
        type: 'session_event',
        actor: op.id,
        data: { session: u.session, event: 'direct_cancel', detail: `${cancelled.length} order(s) cancelled at ${account.exchange} by ${op.id} (${op.channel}); ${u.why}` },
      });
      return { session: u.session, ok: true, cancelled: cancelled.length };
    } catch (err) {
      const error = sanitize(errorMessage(err)).slice(0, 300);
      await deps.audit
        .record({ type: 'session_event', actor: op.id, data: { session: u.session, event: 'direct_cancel_failed', detail: error } })
        .catch(() => undefined);
      return { session: u.session, ok: false, cancelled: 0, error };
    }
  }
}

/**
 * The canceller with what it needs, for a process that has none of the worker's wiring (`warden stop`).
 * The CLI keeps its own audit spool beside the worker's and the bot's: two writers never share a hash chain.
 */
export async function openDirectCanceller(
  loaded: LoadedConfig,
  opts: { accessedBy: string; audit?: AuditRecorder },
): Promise<{ canceller: DirectCanceller; close(): Promise<void> }> {
  const { composeDesk } = await import('../workers/composition');
  const parts = composeDesk(loaded, 'cli', { identity: opts.accessedBy, ...(opts.audit ? { audit: opts.audit } : {}) });
  const [audit, gateways] = await Promise.all([parts.audit(), parts.gateways()]);
  return { canceller: createDirectCanceller({ config: loaded.config, gateways, audit }), close: () => parts.close() };
}
