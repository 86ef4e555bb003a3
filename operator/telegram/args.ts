/**
 * Operator argument rules, shared by the Telegram bot and the CLI so both
 * channels accept exactly the same ids, amounts, reasons and severities.
 */
import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../../domain/severity';

const REQUIRED = 'required';

/** Bidi overrides and non-whitespace control characters can make an audit line read differently from what was typed. */
const TRICKY_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const TRICKY_CHARS_ALL = new RegExp(TRICKY_CHARS.source, 'gu');

/** Collapses newlines and runs of spaces: every free-text argument is one readable line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function text(max: number) {
  return z
    .string({ error: REQUIRED })
    .transform(oneLine)
    .pipe(
      z
        .string()
        .min(1, { error: REQUIRED })
        .max(max, { error: `must be at most ${max} characters` })
        .refine((s) => !TRICKY_CHARS.test(s), { error: 'must be plain text (no control characters)' }),
    );
}

export const idArg = z
  .string({ error: REQUIRED })
  .regex(/^[A-Za-z0-9._:/-]{1,128}$/, { error: 'must be an id such as rb-1 (letters, digits and . _ : / -, at most 128)' });

/** USD with at most cents; a leading `$` is tolerated because that is how people type it on a phone. */
export const amountUsdArg = z
  .string({ error: REQUIRED })
  .transform((s) => s.trim().replace(/^\$/, ''))
  .pipe(z.string().regex(/^\d+(\.\d{1,2})?$/, { error: 'must be a positive number of US dollars, e.g. 5000 or 5000.50' }))
  .transform(Number)
  .pipe(
    z
      .number()
      .positive({ error: 'must be a positive number of US dollars, e.g. 5000 or 5000.50' })
      .max(1_000_000_000, { error: 'must be at most 1000000000' }),
  );

export const reasonArg = text(200);
export const referenceArg = text(200);
export const summaryArg = text(500);

export const severityArg = z
  .string({ error: REQUIRED })
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(INCIDENT_SEVERITIES, { error: `must be one of ${INCIDENT_SEVERITIES.join(', ')}` }));

/**
 * The kill switch never refuses because of its reason: anything typed is
 * cleaned and clipped, nothing typed becomes the default.
 */
export function stopReason(raw: string | undefined, fallback: string): string {
  const clean = oneLine((raw ?? '').replace(TRICKY_CHARS_ALL, ' '));
  return clean ? clean.slice(0, 200) : fallback;
}

/** `amountUsd: must be a positive number ...`: the first problem, named by its argument. */
export function firstIssue(error: z.ZodError, fallbackName = 'argument'): string {
  const issue = error.issues[0];
  if (!issue) return `${fallbackName}: invalid`;
  const name = issue.path.length ? issue.path.map(String).join('.') : fallbackName;
  return `${name}: ${issue.message}`;
}
