import { describe, expect, it } from 'vitest';
import { auditKeys, formatFindings, hasCritical, isWildcardIp, keyAuditHaltIncident, keyAuditIncidentSeverity, KeyAuditResultMessage, keyAuditResultMessage, UNAUTHORIZED_ACCESS_FINDINGS, type KeyPermissions } from '../../domain/key-audit';
import { makeAlert } from '../../domain/severity';

const SERVERS = ['52.1.2.3', '52.1.2.4'];
const tradingKey = (over: Partial<KeyPermissions> = {}): KeyPermissions => ({
  read: true,
  trade: true,
  withdraw: false,
  transfer: false,
  ipWhitelist: SERVERS,
  keyId: 'trade-key',
  ...over,
});
const monitoringKey = (over: Partial<KeyPermissions> = {}): KeyPermissions => tradingKey({ trade: false, keyId: 'monitor-key', ...over });

describe('key audit', () => {
  it('prints the guide example output exactly', () => {
    const findings = [
      ...auditKeys({ exchange: 'binance', account: 'main', trading: tradingKey({ withdraw: true }) }),
      ...auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey({ ipWhitelist: [] }) }),
      ...auditKeys({ exchange: 'bybit', account: 'main', trading: tradingKey(), recordedWhitelist: SERVERS }),
    ];
    expect(formatFindings(findings)).toBe(
      [
        '🚨 CRITICAL: Withdrawal permission enabled on Binance! Disable immediately.',
        '⚠️  WARNING: No IP whitelist configured on OKX. Add server IPs.',
        '✅ OK: Bybit API key properly configured.',
      ].join('\n'),
    );
    expect(hasCritical(findings)).toBe(true);
  });

  it('a clean pair of keys is OK twice', () => {
    const f = auditKeys({ exchange: 'bybit', account: 'main', trading: tradingKey(), monitoring: monitoringKey(), recordedWhitelist: SERVERS });
    expect(f).toEqual([
      { exchange: 'bybit', account: 'main', key: 'trading', severity: 'OK', code: 'ok', message: 'Bybit API key properly configured.' },
      { exchange: 'bybit', account: 'main', key: 'monitoring', severity: 'OK', code: 'ok', message: 'Bybit monitoring API key properly configured (read-only).' },
    ]);
    expect(hasCritical(f)).toBe(false);
  });

  it('withdraw and transfer rights are CRITICAL', () => {
    const f = auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey({ withdraw: true, transfer: true }) });
    expect(f.map((x) => [x.severity, x.code])).toEqual([
      ['CRITICAL', 'withdraw_enabled'],
      ['CRITICAL', 'transfer_enabled'],
    ]);
    expect(f[1]?.message).toBe('Transfer permission enabled on OKX! Disable immediately.');
  });

  it.each([['0.0.0.0/0'], ['0.0.0.0'], ['*'], ['::/0'], [' 0.0.0.0/0 '], ['10.*.*.*'], ['::']])('wildcard %j is a WARNING', (entry) => {
    const f = auditKeys({ exchange: 'binance', account: 'main', trading: tradingKey({ ipWhitelist: ['52.1.2.3', entry] }) });
    expect(f.map((x) => [x.severity, x.code])).toEqual([['WARNING', 'wildcard_ip_whitelist']]);
    expect(f[0]?.message).toMatch(/^Wildcard IP whitelist \(.+\) on Binance\. Allow only server IPs\.$/);
  });

  it('an empty or blank whitelist is a missing whitelist', () => {
    for (const ipWhitelist of [[], ['', '  ']]) {
      const f = auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey({ ipWhitelist }) });
      expect(f.map((x) => x.code)).toEqual(['no_ip_whitelist']);
    }
  });

  it('narrow ranges are not wildcards', () => {
    expect(isWildcardIp('52.1.2.0/24')).toBe(false);
    expect(isWildcardIp('2001:db8::/32')).toBe(false);
    expect(isWildcardIp('0.0.0.0/0')).toBe(true);
  });

  it('an address missing from the whitelist is drift (WARNING); one nobody recorded is evidence of unauthorized access (CRITICAL, SEV-1)', () => {
    const f = auditKeys({ exchange: 'binance', account: 'main', trading: tradingKey({ ipWhitelist: ['52.1.2.3', '10.0.0.9'] }), recordedWhitelist: SERVERS });
    expect(f).toEqual([
      {
        exchange: 'binance',
        account: 'main',
        key: 'trading',
        severity: 'CRITICAL',
        code: 'whitelist_entry_added',
        message: 'IP whitelist on Binance has entries nobody recorded (10.0.0.9)! Someone else may be using the key: revoke it.',
      },
      {
        exchange: 'binance',
        account: 'main',
        key: 'trading',
        severity: 'WARNING',
        code: 'whitelist_mismatch',
        message: 'IP whitelist on Binance differs from the recorded one (missing 52.1.2.4). Update the key or the secret.',
      },
    ]);
    expect(keyAuditIncidentSeverity(f)).toBe('SEV-1');
    expect([...UNAUTHORIZED_ACCESS_FINDINGS]).toEqual(['whitelist_entry_added']);
    // A wildcard that appears is the wildcard finding's, and an empty record is no baseline: neither is an intrusion.
    const wild = auditKeys({ exchange: 'bybit', account: 'main', trading: tradingKey({ ipWhitelist: ['*'] }), recordedWhitelist: SERVERS });
    expect(wild.map((x) => [x.severity, x.code])).toEqual([
      ['WARNING', 'wildcard_ip_whitelist'],
      ['WARNING', 'whitelist_mismatch'],
    ]);
  });

  it('compares whitelists as sets of hosts', () => {
    const same = auditKeys({
      exchange: 'binance',
      account: 'main',
      trading: tradingKey({ ipWhitelist: ['52.1.2.4/32', ' 52.1.2.3', '52.1.2.3'] }),
      recordedWhitelist: SERVERS,
    });
    expect(same.map((x) => x.code)).toEqual(['ok']);
    const recordedEmpty = auditKeys({ exchange: 'binance', account: 'main', trading: tradingKey(), recordedWhitelist: [] });
    expect(recordedEmpty.map((x) => x.message)).toEqual([
      'IP whitelist on Binance differs from the recorded one (unexpected 52.1.2.3, 52.1.2.4). Update the key or the secret.',
    ]);
  });

  it('the same key for trading and monitoring is CRITICAL', () => {
    const f = auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey(), monitoring: tradingKey() });
    expect(f.map((x) => [x.key, x.severity, x.code])).toEqual([
      ['trading', 'OK', 'ok'],
      ['monitoring', 'CRITICAL', 'shared_key'],
    ]);
    expect(f[1]?.message).toBe('Trading and monitoring keys are the same key on OKX! Create a separate read-only monitoring key.');
  });

  it('a monitoring key that can trade is a WARNING; one that can withdraw or transfer is CRITICAL', () => {
    const trades = auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey(), monitoring: monitoringKey({ trade: true }) });
    expect(trades[1]).toMatchObject({ key: 'monitoring', severity: 'WARNING', code: 'monitoring_can_trade', message: 'Monitoring key can trade on OKX. Make it read-only.' });
    const withdraws = auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey(), monitoring: monitoringKey({ withdraw: true, transfer: true }) });
    expect(withdraws.slice(1).map((x) => x.message)).toEqual([
      'Withdrawal permission enabled on the OKX monitoring key! Disable immediately.',
      'Transfer permission enabled on the OKX monitoring key! Disable immediately.',
    ]);
    expect(hasCritical(withdraws)).toBe(true);
  });

  it('checks the monitoring key whitelist too, but not against the trading key record', () => {
    const f = auditKeys({
      exchange: 'bybit',
      account: 'main',
      trading: tradingKey(),
      monitoring: monitoringKey({ ipWhitelist: ['10.0.2.15'] }),
      recordedWhitelist: SERVERS,
    });
    expect(f.map((x) => x.code)).toEqual(['ok', 'ok']);
    const open = auditKeys({ exchange: 'bybit', account: 'main', trading: tradingKey(), monitoring: monitoringKey({ ipWhitelist: [] }) });
    expect(open[1]?.message).toBe('No IP whitelist configured on the Bybit monitoring key. Add server IPs.');
  });

  it('prefixes the account when asked, for desks with several accounts per venue', () => {
    const f = auditKeys({ exchange: 'okx', account: 'alt', trading: tradingKey({ ipWhitelist: [] }) });
    expect(formatFindings(f, { withAccount: true })).toBe('⚠️  WARNING: [okx/alt] No IP whitelist configured on OKX. Add server IPs.');
    expect(formatFindings([])).toBe('');
  });
});

describe('the key-audit result a session is told', () => {
  const AT = '2025-01-15T12:00:00.000Z';
  it('carries codes and sentences only, and parses at the edge', () => {
    const findings = auditKeys({ exchange: 'binance', account: 'main', trading: tradingKey({ withdraw: true }) });
    const msg = keyAuditResultMessage('key-audit/run-1', AT, findings);
    expect(msg).toEqual({
      auditId: 'key-audit/run-1',
      at: AT,
      critical: true,
      findings: [{ key: 'trading', severity: 'CRITICAL', code: 'withdraw_enabled', message: 'Withdrawal permission enabled on Binance! Disable immediately.' }],
    });
    expect(KeyAuditResultMessage.parse(msg)).toEqual(msg);
    expect(KeyAuditResultMessage.safeParse({ ...msg, at: 'yesterday' }).success).toBe(false);
    expect(KeyAuditResultMessage.safeParse({ ...msg, critical: 'yes' }).success).toBe(false);
    expect(keyAuditResultMessage('a', AT, auditKeys({ exchange: 'okx', account: 'main', trading: tradingKey() })).critical).toBe(false);
  });

  it('a key that can move funds opens a SEV-1 incident; another CRITICAL finding SEV-2', () => {
    expect(keyAuditIncidentSeverity([{ severity: 'CRITICAL', code: 'withdraw_enabled' }])).toBe('SEV-1');
    expect(keyAuditIncidentSeverity([{ severity: 'CRITICAL', code: 'transfer_enabled' }])).toBe('SEV-1');
    expect(keyAuditIncidentSeverity([{ severity: 'CRITICAL', code: 'shared_key' }])).toBe('SEV-2');
    // A halt on evidence of unauthorized access opens none of its own: the audit's unauthorized_access alert opens the SEV-1.
    expect(keyAuditHaltIncident([{ severity: 'CRITICAL', code: 'whitelist_entry_added' }])).toBeNull();
    expect(keyAuditHaltIncident([{ severity: 'CRITICAL', code: 'whitelist_entry_added' }, { severity: 'CRITICAL', code: 'withdraw_enabled' }])).toBe('SEV-1');
    expect(keyAuditHaltIncident([{ severity: 'CRITICAL', code: 'shared_key' }])).toBe('SEV-2');
    // The override reaches the alert the router opens incidents from.
    expect(makeAlert('circuit_breaker_triggered', { message: 'x', at: AT, incident: 'SEV-1' }).incident).toBe('SEV-1');
    expect(makeAlert('circuit_breaker_triggered', { message: 'x', at: AT }).incident).toBe('SEV-2');
  });
});
