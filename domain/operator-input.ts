/**
 * What operators send, one zod schema per argument (issue 14): the CLI's flags, the bot's
 * words and the workflows' Update validators all parse with these, so an argument one
 * accepts, all accept. Pure and deterministic: the validators run them in the workflow
 * sandbox. Each schema is idempotent (what it returns, it accepts again), so a validator
 * checking a value a channel already parsed agrees with that channel. Length limits
 * (issue 13 item 7) refuse an oversized payload before it reaches history or the audit trail.
 */
import { z } from 'zod';
import { EXCHANGE_IDS } from './market';
import { INCIDENT_SEVERITIES } from './severity';

/** `tg:123456789`, `cli:alice`, `incident-runbook`: ids are short. */
export const OPERATOR_ID_MAX = 128;
/** A reason: a sentence or two. Composed reasons (prefix + operator text) are clipped to it. */
export const OPERATOR_REASON_MAX = 500;
/** An incident summary: a sentence or two. */
export const OPERATOR_SUMMARY_MAX = 500;
/** A transfer reference: an exchange transfer id or a tx hash, perhaps with a word before it. */
export const OPERATOR_REFERENCE_MAX = 128;
/** Findings and root cause of an incident: a paragraph. */
export const OPERATOR_FINDINGS_MAX = 2000;

const REQUIRED = 'required';
const ID_REQUIRED = 'an operator id is required';

/** Bidi overrides and non-whitespace control characters can make an audit line read differently from what was typed. */
const TRICKY_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const TRICKY_CHARS_ALL = new RegExp(TRICKY_CHARS.source, 'gu');
/** The same, but a paragraph keeps its line breaks and tabs. */
const TRICKY_IN_PARAGRAPH = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** Collapses newlines and runs of spaces: every free-text argument is one readable line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const atMost = (max: number) => ({ error: (iss: { input?: unknown }) => `must be at most ${max} characters (got ${typeof iss.input === 'string' ? iss.input.length : '?'})` });

/** One line of plain text, 1..max characters once whitespace is collapsed. */
function line(max: number) {
  return z
    .string({ error: REQUIRED })
    .transform(oneLine)
    .pipe(
      z
        .string()
        .min(1, { error: REQUIRED })
        .max(max, atMost(max))
        .refine((s) => !TRICKY_CHARS.test(s), { error: 'must be plain text (no control characters)' }),
    );
}

/** A paragraph: trimmed, line breaks kept, 1..max characters of plain text. */
function paragraph(max: number) {
  return z
    .string({ error: REQUIRED })
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, { error: REQUIRED })
        .max(max, atMost(max))
        .refine((s) => !TRICKY_IN_PARAGRAPH.test(s), { error: 'must be plain text (no control characters)' }),
    );
}

// ---- arguments ----------------------------------------------------------------------

/** Who: built by the channel (`tg:<id>`, `cli:<user>`, `pd:<agent>`), never typed; no spaces or control characters. */
export const operatorIdArg = z
  .string({ error: ID_REQUIRED })
  .refine((s) => s.trim().length > 0, { error: ID_REQUIRED })
  .max(OPERATOR_ID_MAX, atMost(OPERATOR_ID_MAX))
  .refine((s) => !/\s/.test(s) && !TRICKY_CHARS.test(s), { error: 'must be an operator id (no spaces or control characters)' });

/** A rebalance or incident id (`rb-1`, `rebalance/binance/main`, `incident/...`). */
export const idArg = z
  .string({ error: REQUIRED })
  .regex(/^[A-Za-z0-9._:/-]{1,128}$/, { error: 'must be an id such as rb-1 (letters, digits and . _ : / -, at most 128)' });

export const reasonArg = line(OPERATOR_REASON_MAX);
export const summaryArg = line(OPERATOR_SUMMARY_MAX);
export const findingsArg = paragraph(OPERATOR_FINDINGS_MAX);

/** `tx 123`, `TX 0xabc123`, `binance-tx-8812`: one line, 3..128 letters, digits, spaces or . _ : / # -. */
export const referenceArg = z
  .string({ error: REQUIRED })
  .transform(oneLine)
  .pipe(
    z
      .string()
      .min(1, { error: REQUIRED })
      .max(OPERATOR_REFERENCE_MAX, atMost(OPERATOR_REFERENCE_MAX))
      .regex(/^[A-Za-z0-9_.:/# -]{3,}$/, { error: `must be 3-${OPERATOR_REFERENCE_MAX} letters, digits, spaces or . _ : / # - (an exchange transfer id or tx hash)` }),
  );

const POSITIVE_USD = 'must be a positive number of US dollars, e.g. 5000 or 5000.50';
/** Whole cents: 5000.5 is, 100.123 is not (tolerant of binary floating point). */
const isCents = (n: number) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6;

/** An amount in USD as a number (what the Update carries). */
export const amountUsdValue = z
  .number({ error: POSITIVE_USD })
  .positive({ error: POSITIVE_USD })
  .max(1_000_000_000, { error: 'must be at most 1000000000' })
  .refine(isCents, { error: POSITIVE_USD });

/** An amount in USD as typed: at most cents; a leading `$` is tolerated because that is how people type it on a phone. */
export const amountUsdArg = z
  .string({ error: REQUIRED })
  .transform((s) => s.trim().replace(/^\$/, ''))
  .pipe(z.string().regex(/^\d+(\.\d{1,2})?$/, { error: POSITIVE_USD }))
  .transform(Number)
  .pipe(amountUsdValue);

export const severityArg = z
  .string({ error: REQUIRED })
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(INCIDENT_SEVERITIES, { error: `must be one of ${INCIDENT_SEVERITIES.join(', ')}` }));

export const exchangeArg = z.enum(EXCHANGE_IDS, { error: `must be one of ${EXCHANGE_IDS.join(', ')}` });

/** An account name as the config spells it. */
export const accountArg = z.string({ error: REQUIRED }).regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'must be 1-32 lowercase letters, digits or dashes' });

const yesNo = z.boolean({ error: 'must be true or false' });

/**
 * The kill switch's reason as a validator sees it: non-empty text within the limit. The kill
 * switch never refuses because of its reason; the channels clean it (stopReason) before sending.
 */
const stopReasonText = z
  .string({ error: REQUIRED })
  .refine((s) => s.trim().length > 0, { error: REQUIRED })
  .max(OPERATOR_REASON_MAX, atMost(OPERATOR_REASON_MAX));

/**
 * The kill switch's reason as typed: anything is cleaned and clipped, nothing typed becomes the
 * fallback. What it returns, every validator accepts.
 */
export function stopReason(raw: string | undefined, fallback: string): string {
  const clean = oneLine((raw ?? '').replace(TRICKY_CHARS_ALL, ' '));
  return clean ? clean.slice(0, OPERATOR_REASON_MAX) : fallback;
}

// ---- what each Update carries -------------------------------------------------------------

const request = <T extends z.ZodRawShape>(shape: T) => z.object(shape, { error: 'a request object is required' });

/** pause, resume, forceOpen, stopDesk, false positive, resume approval, rebalance rejection. */
export const OperatorRequestInput = request({ by: operatorIdArg, reason: reasonArg });
/** The session's stop Update. */
export const StopRequestInput = request({ by: operatorIdArg, reason: stopReasonText });
/** An acknowledgement or an answer that carries only who (incident ack, rotation staged/revoked). */
export const OperatorAckInput = request({ by: operatorIdArg });
export const ContainmentAnswerInput = request({ by: operatorIdArg, approve: yesNo });
export const TransferConfirmationInput = request({ by: operatorIdArg, amountUsd: amountUsdValue, reference: referenceArg });
/** Actions and prevention items are lines; at most 50 of each. */
const items = z.array(reasonArg).max(50, { error: 'at most 50 items' }).optional();
export const FindingsInput = request({
  by: operatorIdArg,
  findings: findingsArg,
  rootCause: findingsArg,
  keysCompromised: yesNo,
  actions: items,
  prevention: items,
  lessons: findingsArg.optional(),
});

/** `amountUsd: must be a positive number ...`: the first problem, named by its argument. */
export function firstIssue(error: z.ZodError, fallbackName = 'argument'): string {
  const issue = error.issues[0];
  if (!issue) return `${fallbackName}: invalid`;
  const name = issue.path.length ? issue.path.map(String).join('.') : fallbackName;
  return `${name}: ${issue.message}`;
}

/** What an Update validator runs: throws `field: problem` when `value` does not parse with `schema`. */
export function checkInput(schema: z.ZodType, value: unknown): void {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(firstIssue(r.error, 'request'));
}

/** A reason an internal caller composed (prefix + operator text), clipped to what the validators accept. */
export function clipReason(reason: string, max = OPERATOR_REASON_MAX): string {
  return reason.length <= max ? reason : `${reason.slice(0, max - 1)}…`;
}
