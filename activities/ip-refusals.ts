/**
 * Seed section 7, "Unauthorized API access": a venue refusing the desk's call because it came from
 * outside the key's IP whitelist means the whitelist or the desk's address changed behind the
 * operators' backs. Every gateway call the activities make is watched for it, and it is alerted as
 * `unauthorized_access` (SEV-1), once per account in a window so a halted session's retries page once.
 */
import { GatewayError } from '../adapters/exchange/errors';
import type { ExchangeGateway } from '../adapters/exchange/gateway';
import type { GatewayProvider } from '../adapters/exchange/provider';
import type { ExchangeId } from '../domain/market';
import { makeAlert } from '../domain/severity';
import type { ActivityDeps } from './deps';

const REPEAT_AFTER_MS = 10 * 60_000;

export function reportingIpRefusals(deps: Pick<ActivityDeps, 'gateways' | 'alerts' | 'logger' | 'workerIdentity' | 'now'>): GatewayProvider {
  const now = deps.now ?? (() => new Date());
  const lastReported = new Map<string, number>();

  async function report(exchange: ExchangeId, account: string, err: GatewayError): Promise<void> {
    const where = `${exchange}/${account}`;
    const at = now();
    const last = lastReported.get(where);
    if (last !== undefined && at.getTime() - last < REPEAT_AFTER_MS) return;
    lastReported.set(where, at.getTime());
    const alert = makeAlert('unauthorized_access', {
      message: `${where}: the venue refused the desk's call as coming from outside the key's IP whitelist (${err.message}). The whitelist or the desk's address changed: someone else may hold the keys.`,
      at: at.toISOString(),
      scope: { exchange, account, subject: 'ip-refused' },
    });
    // The caller's failure is what the session acts on; an undelivered alert must not replace it.
    await deps.alerts.route(alert, deps.workerIdentity).catch((e: unknown) => deps.logger.error({ err: e, where }, 'unauthorized_access alert not delivered'));
  }

  function watch(gw: ExchangeGateway, exchange: ExchangeId, account: string): ExchangeGateway {
    return new Proxy(gw, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          try {
            return (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
          } catch (err) {
            if (err instanceof GatewayError && err.ipRefused) await report(exchange, account, err);
            throw err;
          }
        };
      },
    });
  }

  return {
    async gateway(exchange, account, purpose, stage) {
      return watch(await deps.gateways.gateway(exchange, account, purpose, stage), exchange, account);
    },
  };
}
