import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CcxtGatewayProvider } from '../../adapters/exchange/provider';
import type { AuditRecorder } from '../../adapters/audit/trail';
import { PAPER_SECRETS_FILE } from '../../adapters/secrets';
import { LocalFileSecretSource } from '../../adapters/secrets/sources';
import { CachedSecretsStore } from '../../adapters/secrets/store';
import { exchangeSecretName, type KeyPurpose, type SecretsStore } from '../../adapters/secrets/types';
import { ExchangeAccountConfig, RiskConfig } from '../../config/schema';
import type { SessionInput } from '../../contracts/session';
import type { ExchangeId } from '../../domain/market';
import { startSimulator, type Simulator } from '../../simulator';
import type { KeyPermissions } from '../../simulator/types';
import { openTempTrail, tempDir } from './audit';
import { testClock, testNowMs } from './clock';

export const VENUE_IDS: ExchangeId[] = ['binance', 'okx', 'bybit'];

export interface KeyOptions {
  purpose?: KeyPurpose;
  permissions?: Partial<KeyPermissions>;
  ipWhitelist?: string[];
  /** The key's created_at; default the test clock's now (a fresh key, whatever the calendar says). */
  createdAt?: string;
  /** Stage the key as AWSPENDING instead of AWSCURRENT in the secrets file. */
  pending?: boolean;
}

/**
 * A simulator on loopback plus what the desk needs to trade on it: registered
 * keys, a funded account, the keys in a paper secrets file, and a real gateway
 * provider reading them through the secrets store.
 */
export class ExchangeHarness {
  readonly stateDir = tempDir('warden-exch-');
  private readonly secretsFile: Record<string, unknown> = {};
  private seq = 0;

  private constructor(
    readonly sim: Simulator,
    readonly audit: AuditRecorder,
  ) {}

  static async start(seed = 7): Promise<ExchangeHarness> {
    return new ExchangeHarness(await startSimulator({ seed }), await openTempTrail());
  }

  accounts(account: string): ExchangeAccountConfig[] {
    return VENUE_IDS.map((exchange) => ExchangeAccountConfig.parse({ exchange, account, baseUrl: this.sim.url, symbols: ['BTC/USDT', 'ETH/USDT'] }));
  }

  /** Registers a key at the simulator and stores it where the secrets store will find it; returns the api key. */
  addKey(exchange: ExchangeId, account: string, opts: KeyOptions = {}): { apiKey: string; secret: string; passphrase?: string } {
    const n = ++this.seq;
    const creds = { apiKey: `AK${exchange}${account}${n}x`.replace(/[^A-Za-z0-9]/g, ''), secret: `SK-${exchange}-${account}-${n}-secret`, passphrase: exchange === 'okx' ? `PP${n}pass` : undefined };
    const permissions = { read: true, trade: true, withdraw: false, transfer: false, ...opts.permissions };
    const ipWhitelist = opts.ipWhitelist ?? ['127.0.0.1'];
    this.sim.registerKey({ venue: exchange, account, ...creds, permissions, ipWhitelist });
    const name = exchangeSecretName('warden', exchange, account, opts.purpose ?? 'trading');
    this.secretsFile[opts.pending ? `${name}#AWSPENDING` : name] = {
      api_key: creds.apiKey,
      secret: creds.secret,
      ...(creds.passphrase ? { passphrase: creds.passphrase } : {}),
      ip_whitelist: ipWhitelist,
      permissions,
      created_at: opts.createdAt ?? testClock().toISOString(),
    };
    writeFileSync(join(this.stateDir, PAPER_SECRETS_FILE), JSON.stringify(this.secretsFile, null, 2));
    return creds;
  }

  /** Funds an account on every venue and gives it a trading key. */
  fundAccount(account: string, balances: Record<string, number> = { USDT: 20_000, BTC: 0.5, ETH: 5 }): void {
    for (const venue of VENUE_IDS) {
      this.addKey(venue, account);
      for (const [asset, total] of Object.entries(balances)) this.sim.setBalance(venue, account, asset, total);
    }
  }

  /** A session trading a resting grid around the current price: buys below, sells above (5 levels, 4 orders). */
  gridSession(exchange: ExchangeId, account: string, overrides: Partial<SessionInput> = {}): SessionInput {
    const price = this.sim.price('BTC/USDT');
    return {
      exchange,
      account,
      symbols: ['BTC/USDT'],
      strategy: { kind: 'grid', symbol: 'BTC/USDT', lower: Math.round(price * 0.9), upper: Math.round(price * 1.1), levels: 5, orderAmount: 0.002 },
      risk: RiskConfig.parse({ maxConcentrationPct: 100 }),
      tickSeconds: 1,
      ...overrides,
    };
  }

  secrets(): SecretsStore {
    return new CachedSecretsStore({
      source: new LocalFileSecretSource(join(this.stateDir, PAPER_SECRETS_FILE), 'paper'),
      prefix: 'warden',
      ttlSeconds: 300,
      audit: this.audit,
      accessedBy: 'test-worker',
      now: testNowMs,
    });
  }

  gateways(account: string, secrets = this.secrets()): CcxtGatewayProvider {
    return new CcxtGatewayProvider({ secrets, accounts: this.accounts(account), enableRateLimit: false, timeoutMs: 3000 });
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}
