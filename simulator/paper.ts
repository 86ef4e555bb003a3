import { randomBytes, randomUUID } from 'node:crypto';
import type { Simulator } from './server';
import type { VenueId } from './types';

/** The paper desk's keys: one per venue on account "paper", read+trade only, loopback-bound. */

export interface PaperCredentials {
  apiKey: string;
  secret: string;
  passphrase?: string;
}

export type PaperKeys = Record<VenueId, PaperCredentials>;

export const PAPER_ACCOUNT = 'paper';
/**
 * Each paper account's funding, on every venue. Mostly cash, so the desk's own
 * limits leave room to trade: at the simulator's starting prices BTC and ETH
 * are about 5% each of the account (the default concentration limit is 20%),
 * the target-weight sessions buy up to their 15% targets, and the grid can buy
 * below the price as well as sell above it (it needs 0.002 BTC per sell level).
 */
export const PAPER_BALANCES: Readonly<Record<string, number>> = { USDT: 20_000, BTC: 0.02, ETH: 0.4 };

/** Fresh credentials in each venue's usual shape. */
function generate(venue: VenueId): PaperCredentials {
  const hex = (n: number) => randomBytes(n).toString('hex');
  if (venue === 'binance') return { apiKey: hex(32), secret: hex(32) };
  if (venue === 'okx') return { apiKey: randomUUID(), secret: hex(16).toUpperCase(), passphrase: `Sim-${hex(6)}` };
  return { apiKey: hex(9).toUpperCase(), secret: hex(18) };
}

/**
 * Registers (or re-registers) the paper keys and funds the paper account on every venue.
 * Pass `keys` read back from the local secrets file so a restarted simulator keeps accepting them.
 */
export function registerPaperKeys(
  sim: Pick<Simulator, 'registerKey' | 'setBalance'>,
  opts: { keys?: Partial<PaperKeys>; account?: string; balances?: Record<string, number> } = {},
): PaperKeys {
  const account = opts.account ?? PAPER_ACCOUNT;
  const out = {} as PaperKeys;
  for (const venue of ['binance', 'okx', 'bybit'] as const) {
    const given = opts.keys?.[venue];
    const creds = given && (venue !== 'okx' || given.passphrase) ? given : generate(venue);
    sim.registerKey({
      venue,
      account,
      ...creds,
      permissions: { read: true, trade: true, withdraw: false, transfer: false },
      ipWhitelist: ['127.0.0.1'],
      label: 'warden paper desk',
    });
    for (const [asset, total] of Object.entries(opts.balances ?? PAPER_BALANCES)) sim.setBalance(venue, account, asset, total);
    out[venue] = { ...creds };
  }
  return out;
}
