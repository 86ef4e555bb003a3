/**
 * The API-key auditor (guide section 2): what the exchange says a key may do,
 * judged against the checklist. A trading key may read and trade, never
 * withdraw or transfer, and only from whitelisted server IPs; a monitoring
 * key is a different key and read-only.
 */
import { z } from 'zod';
import type { Venue } from './market';
import type { IncidentSeverity } from './severity';

export interface KeyPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  /** Any transfer right, including sub-account transfers. */
  transfer: boolean;
  ipWhitelist: string[];
  keyId: string;
}

export type KeyRole = 'trading' | 'monitoring';
export type FindingSeverity = 'CRITICAL' | 'WARNING' | 'OK';
export type FindingCode =
  | 'withdraw_enabled'
  | 'transfer_enabled'
  | 'no_ip_whitelist'
  | 'wildcard_ip_whitelist'
  | 'whitelist_mismatch'
  | 'whitelist_entry_added'
  | 'shared_key'
  | 'monitoring_can_trade'
  | 'ok';

export interface Finding {
  exchange: Venue;
  account: string;
  key: KeyRole;
  severity: FindingSeverity;
  code: FindingCode;
  message: string;
}

export interface KeyAuditInput {
  exchange: Venue;
  account: string;
  trading: KeyPermissions;
  monitoring?: KeyPermissions;
  /** The whitelist recorded in the secret (`ip_whitelist`); compared with the trading key's when given. */
  recordedWhitelist?: string[];
}

const DISPLAY: Record<Venue, string> = { binance: 'Binance', okx: 'OKX', bybit: 'Bybit' };

export function venueDisplayName(venue: Venue): string {
  return DISPLAY[venue];
}

const WILDCARDS = new Set(['0.0.0.0/0', '0.0.0.0', '*', '::/0', '::']);

/** Trimmed, lowercased, single-host CIDR suffix dropped, so `52.1.2.3/32` equals `52.1.2.3`. */
function normaliseIp(entry: string): string {
  const e = entry.trim().toLowerCase();
  if (e.includes('.') && e.endsWith('/32')) return e.slice(0, -3);
  if (e.includes(':') && e.endsWith('/128')) return e.slice(0, -4);
  return e;
}

/** An entry that lets any address in: the exact wildcards, any `*`, or any /0 range. */
export function isWildcardIp(entry: string): boolean {
  const e = normaliseIp(entry);
  return WILDCARDS.has(e) || e.includes('*') || e.endsWith('/0');
}

function whitelistEntries(list: string[]): string[] {
  return [...new Set(list.map(normaliseIp).filter((e) => e.length > 0))].sort();
}

function auditKey(input: KeyAuditInput, role: KeyRole, key: KeyPermissions): Finding[] {
  const venue = DISPLAY[input.exchange];
  const where = role === 'trading' ? venue : `the ${venue} monitoring key`;
  const out: Finding[] = [];
  const add = (severity: FindingSeverity, code: FindingCode, message: string) =>
    out.push({ exchange: input.exchange, account: input.account, key: role, severity, code, message });

  if (key.withdraw) add('CRITICAL', 'withdraw_enabled', `Withdrawal permission enabled on ${where}! Disable immediately.`);
  if (key.transfer) add('CRITICAL', 'transfer_enabled', `Transfer permission enabled on ${where}! Disable immediately.`);
  if (role === 'monitoring' && key.trade) add('WARNING', 'monitoring_can_trade', `Monitoring key can trade on ${venue}. Make it read-only.`);

  const entries = whitelistEntries(key.ipWhitelist);
  const wild = entries.filter(isWildcardIp);
  if (entries.length === 0) add('WARNING', 'no_ip_whitelist', `No IP whitelist configured on ${where}. Add server IPs.`);
  else if (wild.length > 0) add('WARNING', 'wildcard_ip_whitelist', `Wildcard IP whitelist (${wild.join(', ')}) on ${where}. Allow only server IPs.`);

  if (role === 'trading' && input.recordedWhitelist !== undefined) {
    const recorded = whitelistEntries(input.recordedWhitelist);
    const missing = recorded.filter((e) => !entries.includes(e));
    const unexpected = entries.filter((e) => !recorded.includes(e));
    // An address nobody recorded lets someone else call with this key: evidence of unauthorized access, not drift.
    // A wildcard is no address (bybit lists a key without a whitelist as `*`): the wildcard finding covers it.
    // An empty record is no baseline to judge against: the difference is drift to fix, as before.
    const added = recorded.length > 0 ? unexpected.filter((e) => !isWildcardIp(e)) : [];
    const loose = unexpected.filter((e) => !added.includes(e));
    if (added.length > 0) {
      add('CRITICAL', 'whitelist_entry_added', `IP whitelist on ${venue} has entries nobody recorded (${added.join(', ')})! Someone else may be using the key: revoke it.`);
    }
    if (missing.length > 0 || loose.length > 0) {
      const parts = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', loose.length > 0 ? `unexpected ${loose.join(', ')}` : ''].filter(Boolean).join('; ');
      add('WARNING', 'whitelist_mismatch', `IP whitelist on ${venue} differs from the recorded one (${parts}). Update the key or the secret.`);
    }
  }

  if (out.length === 0) {
    add('OK', 'ok', role === 'trading' ? `${venue} API key properly configured.` : `${venue} monitoring API key properly configured (read-only).`);
  }
  return out;
}

/** Every finding for one account's keys; each key gets at least one line (OK when clean). */
export function auditKeys(input: KeyAuditInput): Finding[] {
  const findings = auditKey(input, 'trading', input.trading);
  const mon = input.monitoring;
  if (!mon) return findings;
  if (mon.keyId === input.trading.keyId) {
    // The same key cannot be read-only; its rights were audited above as the trading key.
    findings.push({
      exchange: input.exchange,
      account: input.account,
      key: 'monitoring',
      severity: 'CRITICAL',
      code: 'shared_key',
      message: `Trading and monitoring keys are the same key on ${DISPLAY[input.exchange]}! Create a separate read-only monitoring key.`,
    });
    return findings;
  }
  return [...findings, ...auditKey(input, 'monitoring', mon)];
}

const ICON: Record<FindingSeverity, string> = { CRITICAL: '🚨', WARNING: '⚠️ ', OK: '✅' };

/** One line in the guide's format, e.g. `🚨 CRITICAL: Withdrawal permission enabled on Binance! Disable immediately.` */
export function formatFinding(finding: Finding, options: { withAccount?: boolean } = {}): string {
  const scope = options.withAccount ? `[${finding.exchange}/${finding.account}] ` : '';
  return `${ICON[finding.severity]} ${finding.severity}: ${scope}${finding.message}`;
}

/** The findings as the guide prints them, one per line. `withAccount` prefixes `[exchange/account]` for multi-account desks. */
export function formatFindings(findings: Finding[], options: { withAccount?: boolean } = {}): string {
  return findings.map((f) => formatFinding(f, options)).join('\n');
}

export function hasCritical(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'CRITICAL');
}

// ---- the audit result a session is told (workflows/session-signals.ts) --------------------

const FINDING_CODES = [
  'withdraw_enabled',
  'transfer_enabled',
  'no_ip_whitelist',
  'wildcard_ip_whitelist',
  'whitelist_mismatch',
  'whitelist_entry_added',
  'shared_key',
  'monitoring_can_trade',
  'ok',
] as const satisfies readonly FindingCode[];

/** Findings that are evidence of someone else using the desk's keys: alerted as `unauthorized_access` (SEV-1). */
export const UNAUTHORIZED_ACCESS_FINDINGS: ReadonlySet<FindingCode> = new Set<FindingCode>(['whitelist_entry_added']);

/**
 * One completed audit of an account's keys, sent to its session. Findings carry
 * codes and the guide's sentences only: never a key, a secret or a fingerprint.
 */
export const KeyAuditResultMessage = z.object({
  auditId: z.string().min(1).max(300),
  /** ISO time the audit completed (the auditing workflow's clock). */
  at: z.iso.datetime(),
  critical: z.boolean(),
  findings: z
    .array(
      z.object({
        key: z.enum(['trading', 'monitoring']),
        severity: z.enum(['CRITICAL', 'WARNING', 'OK']),
        code: z.enum(FINDING_CODES),
        message: z.string().max(500),
      }),
    )
    .max(50),
});
export type KeyAuditResultMessage = z.infer<typeof KeyAuditResultMessage>;

/** The message for a session: the findings without the exchange/account the session already knows. */
export function keyAuditResultMessage(auditId: string, at: string, findings: Finding[]): KeyAuditResultMessage {
  return { auditId, at, critical: hasCritical(findings), findings: findings.map(({ key, severity, code, message }) => ({ key, severity, code, message })) };
}

/**
 * The incident a key-audit halt opens (guide section 7): a key that can move funds
 * is a critical security breach until shown otherwise (SEV-1: containment isolates the
 * credentials), and so is a whitelist entry nobody recorded; any other CRITICAL finding, such as a shared monitoring key, halts
 * trading with no fund at risk (SEV-2).
 */
export function keyAuditIncidentSeverity(findings: Array<Pick<Finding, 'severity' | 'code'>>): IncidentSeverity {
  const sev1 = (code: FindingCode) => code === 'withdraw_enabled' || code === 'transfer_enabled' || UNAUTHORIZED_ACCESS_FINDINGS.has(code);
  return findings.some((f) => f.severity === 'CRITICAL' && sev1(f.code)) ? 'SEV-1' : 'SEV-2';
}

/**
 * The incident a key-audit halt opens, or null when every CRITICAL finding is evidence of unauthorized
 * access: the key audit's own `unauthorized_access` alert opens that SEV-1, and a second incident for the
 * same evidence would only ask the operators for a second approval.
 */
export function keyAuditHaltIncident(findings: Array<Pick<Finding, 'severity' | 'code'>>): IncidentSeverity | null {
  const critical = findings.filter((f) => f.severity === 'CRITICAL');
  if (critical.length > 0 && critical.every((f) => UNAUTHORIZED_ACCESS_FINDINGS.has(f.code))) return null;
  return keyAuditIncidentSeverity(findings);
}
