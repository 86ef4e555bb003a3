import { RateLimitGate } from './rate-limit-gate';
import { VenueClocks } from './venue-clocks';
import type { ExchangeAccountConfig, ExchangeId } from '../../config/schema';
import type { KeyPurpose, SecretsStore, VersionStage } from '../secrets/types';
import { keyFingerprint } from '../secrets/fingerprint';
import { createCcxtExchange } from './ccxt-factory';
import { ExchangeGateway } from './gateway';

/** Hands activities a gateway for an account; credentials are read here, inside the worker, never passed in. */
export interface GatewayProvider {
  gateway(exchange: ExchangeId, account: string, purpose: KeyPurpose, stage?: VersionStage): Promise<ExchangeGateway>;
}

/**
 * Builds one ccxt client per key version and reuses it (ccxt keeps markets and
 * rate-limit state per instance). A rotated key has a new version, so the
 * next call after the secrets cache is invalidated gets a fresh client.
 */
export class CcxtGatewayProvider implements GatewayProvider {
  private readonly cache = new Map<string, ExchangeGateway>();

  /** One per process: a venue limits the address, whichever key or account asked. */
  private readonly rateLimits = new RateLimitGate();
  private readonly clocks = new VenueClocks();

  constructor(
    private readonly opts: { secrets: SecretsStore; accounts: ExchangeAccountConfig[]; enableRateLimit: boolean; timeoutMs?: number },
  ) {}

  async gateway(exchange: ExchangeId, account: string, purpose: KeyPurpose, stage: VersionStage = 'AWSCURRENT'): Promise<ExchangeGateway> {
    const cfg = this.opts.accounts.find((a) => a.exchange === exchange && a.account === account);
    if (!cfg) throw new Error(`no configured account ${exchange}/${account}`);
    const creds = await this.opts.secrets.getExchangeCredentials(exchange, account, purpose, stage);
    const key = `${exchange}/${account}/${purpose}/${stage}/${keyFingerprint(creds.apiKey)}`;
    let gw = this.cache.get(key);
    if (!gw) {
      const ccxt = createCcxtExchange(exchange, {
        baseUrl: cfg.baseUrl,
        credentials: { apiKey: creds.apiKey, secret: creds.secret, passphrase: creds.passphrase },
        enableRateLimit: this.opts.enableRateLimit,
        timeoutMs: this.opts.timeoutMs,
        sandbox: cfg.mode === 'testnet',
      });
      gw = new ExchangeGateway(ccxt, exchange, this.rateLimits, this.clocks);
      this.cache.set(key, gw);
    }
    return gw;
  }
}
