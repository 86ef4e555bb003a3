import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../adapters/secrets/fingerprint';
import type { ExchangeId } from '../domain/market';
import { auditKeys, hasCritical, venueDisplayName, type KeyPermissions } from '../domain/key-audit';
import { ExchangeHarness, VENUE_IDS, type KeyOptions } from './helpers/exchange';

/**
 * Every auditor rule, fed the permission payloads each venue's dialect really
 * answers (binance apiRestrictions, okx account/config, bybit user/query-api),
 * read through the real gateway from the simulator.
 */
let h: ExchangeHarness;
let n = 0;

beforeAll(async () => {
  h = await ExchangeHarness.start(11);
});
afterAll(async () => h?.close());

async function venuePermissions(venue: ExchangeId, opts: KeyOptions = {}): Promise<KeyPermissions> {
  const account = `kv${++n}`;
  const creds = h.addKey(venue, account, opts);
  const gw = await h.gateways(account).gateway(venue, account, opts.purpose ?? 'trading');
  return { ...(await gw.fetchKeyPermissions()), keyId: keyFingerprint(creds.apiKey) };
}

const codes = (f: ReturnType<typeof auditKeys>) => f.map((x) => `${x.key}:${x.severity}:${x.code}`);

describe.each(VENUE_IDS)('key auditor on %s permission payloads', (venue) => {
  const name = venueDisplayName(venue);
  const audit = (trading: KeyPermissions, extra: { monitoring?: KeyPermissions; recordedWhitelist?: string[] } = {}) =>
    auditKeys({ exchange: venue, account: 'main', trading, recordedWhitelist: extra.recordedWhitelist ?? trading.ipWhitelist, monitoring: extra.monitoring });

  it('a read + trade key on the server IP is OK', async () => {
    const p = await venuePermissions(venue);
    expect(p).toMatchObject({ read: true, trade: true, withdraw: false, transfer: false, ipWhitelist: ['127.0.0.1'] });
    const f = audit(p, { recordedWhitelist: ['127.0.0.1'] });
    expect(f).toEqual([{ exchange: venue, account: 'main', key: 'trading', severity: 'OK', code: 'ok', message: `${name} API key properly configured.` }]);
    expect(hasCritical(f)).toBe(false);
  });

  it('withdrawal rights are CRITICAL', async () => {
    const f = audit(await venuePermissions(venue, { permissions: { withdraw: true } }));
    expect(f[0]).toMatchObject({ severity: 'CRITICAL', code: 'withdraw_enabled', message: `Withdrawal permission enabled on ${name}! Disable immediately.` });
    // okx's withdraw right also moves funds by transfer, so it is both.
    expect(codes(f)).toEqual(venue === 'okx' ? ['trading:CRITICAL:withdraw_enabled', 'trading:CRITICAL:transfer_enabled'] : ['trading:CRITICAL:withdraw_enabled']);
  });

  it('transfer rights are CRITICAL where the venue reports them', async () => {
    const f = audit(await venuePermissions(venue, { permissions: { transfer: true } }));
    if (venue === 'okx') {
      // okx folds transfers between one's own accounts into "trade": its permission string cannot show them.
      expect(codes(f)).toEqual(['trading:OK:ok']);
    } else {
      expect(codes(f)).toEqual(['trading:CRITICAL:transfer_enabled']);
      expect(f[0]!.message).toBe(`Transfer permission enabled on ${name}! Disable immediately.`);
    }
  });

  it('an unrestricted key is a WARNING (bybit reports it as ["*"])', async () => {
    const p = await venuePermissions(venue, { ipWhitelist: [] });
    const f = audit(p);
    if (venue === 'bybit') {
      expect(p.ipWhitelist).toEqual(['*']);
      expect(f).toEqual([expect.objectContaining({ severity: 'WARNING', code: 'wildcard_ip_whitelist', message: 'Wildcard IP whitelist (*) on Bybit. Allow only server IPs.' })]);
    } else {
      expect(p.ipWhitelist).toEqual([]);
      expect(f).toEqual([expect.objectContaining({ severity: 'WARNING', code: 'no_ip_whitelist', message: `No IP whitelist configured on ${name}. Add server IPs.` })]);
    }
  });

  it('a wildcard range next to the server IP is a WARNING', async () => {
    const p = await venuePermissions(venue, { ipWhitelist: ['127.0.0.1', '0.0.0.0/0'] });
    expect(audit(p)).toEqual([expect.objectContaining({ severity: 'WARNING', code: 'wildcard_ip_whitelist', message: `Wildcard IP whitelist (0.0.0.0/0) on ${name}. Allow only server IPs.` })]);
  });

  it('a whitelist that differs from the one recorded in the secret is a WARNING', async () => {
    const p = await venuePermissions(venue);
    expect(audit(p, { recordedWhitelist: ['127.0.0.1', '52.1.2.3'] })).toEqual([
      expect.objectContaining({ severity: 'WARNING', code: 'whitelist_mismatch', message: `IP whitelist on ${name} differs from the recorded one (missing 52.1.2.3). Update the key or the secret.` }),
    ]);
  });

  it('a separate read-only monitoring key is OK; one that can trade is a WARNING', async () => {
    const trading = await venuePermissions(venue);
    const readOnly = await venuePermissions(venue, { purpose: 'monitoring', permissions: { trade: false } });
    expect(readOnly).toMatchObject({ read: true, trade: false, withdraw: false, transfer: false });
    expect(codes(audit(trading, { monitoring: readOnly }))).toEqual(['trading:OK:ok', 'monitoring:OK:ok']);

    const trades = await venuePermissions(venue, { purpose: 'monitoring' });
    const f = audit(trading, { monitoring: trades });
    expect(codes(f)).toEqual(['trading:OK:ok', 'monitoring:WARNING:monitoring_can_trade']);
    expect(f[1]!.message).toBe(`Monitoring key can trade on ${name}. Make it read-only.`);
  });

  it('one key used for both trading and monitoring is CRITICAL', async () => {
    const trading = await venuePermissions(venue);
    const f = audit(trading, { monitoring: { ...trading } });
    expect(codes(f)).toEqual(['trading:OK:ok', 'monitoring:CRITICAL:shared_key']);
    expect(hasCritical(f)).toBe(true);
  });
});
