import type { ExchangeGateway } from '../../adapters/exchange/gateway';
import type { GatewayProvider } from '../../adapters/exchange/provider';
import type { ExchangeId } from '../../domain/market';

/** Which account a gateway serves, and the real gateway to call through to. */
export interface GatewayAt {
  exchange: ExchangeId;
  account: string;
  /** `exchange/account` */
  key: string;
  target: ExchangeGateway;
}

/**
 * The provider's real gateways, with a test's fault in front of chosen methods: `override` returns
 * the replacement for a method (a failing read, a held snapshot, a lost answer), or undefined to
 * call the real one. Every other method, and every account it leaves alone, is the real thing.
 */
export function overrideGateways(
  provider: GatewayProvider,
  override: <K extends keyof ExchangeGateway>(method: K, at: GatewayAt) => ExchangeGateway[K] | undefined,
): GatewayProvider {
  return {
    async gateway(exchange, account, purpose, stage) {
      const target = await provider.gateway(exchange, account, purpose, stage);
      const at: GatewayAt = { exchange, account, key: `${exchange}/${account}`, target };
      return new Proxy(target, {
        get(t, prop) {
          const replaced = typeof prop === 'string' && prop in t ? override(prop as keyof ExchangeGateway, at) : undefined;
          if (replaced !== undefined) return replaced;
          const v: unknown = Reflect.get(t, prop, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    },
  };
}
