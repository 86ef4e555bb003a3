/**
 * Length limits on what operators send into workflows (issue 13 item 7). Update
 * validators use them, so an oversized payload is refused before it reaches
 * history or the audit trail; internal callers clip their composed reasons.
 */

/** `tg:123456789`, `cli:alice`, `incident-runbook`: ids are short. */
export const OPERATOR_ID_MAX = 128;
/** A reason or reference: a sentence or two (the CLI and Telegram allow 200; composed reasons add a prefix). */
export const OPERATOR_REASON_MAX = 500;
/** Findings and root cause of an incident: a paragraph. */
export const OPERATOR_FINDINGS_MAX = 2000;

/** Throws `field: ...` when `value` is not a non-empty string of at most `max` characters. */
export function checkOperatorText(field: string, value: unknown, max: number, required = 'is required'): void {
  if (typeof value !== 'string' || !value.trim()) throw new Error(`${field}: ${required}`);
  if (value.length > max) throw new Error(`${field}: must be at most ${max} characters (got ${value.length})`);
}

/** The operator id check every Update validator runs. */
export function checkOperatorId(by: unknown): void {
  checkOperatorText('by', by, OPERATOR_ID_MAX, 'an operator id is required');
}

/** A reason an internal caller composed (prefix + operator text), clipped to what the validators accept. */
export function clipReason(reason: string, max = OPERATOR_REASON_MAX): string {
  return reason.length <= max ? reason : `${reason.slice(0, max - 1)}…`;
}
