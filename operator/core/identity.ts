/**
 * Who gave a command, built the same way on every channel: `<prefix>:<name>`, made a valid operator
 * id (domain/operator-input.ts) whatever the name holds, so no workflow validator refuses a channel's
 * own operator. Also the channel's name as default reasons say it ("paused via Telegram").
 */
import { userInfo } from 'node:os';
import type { Operator, OperatorChannel } from '../../clients/desk-control';
import { OPERATOR_ID_MAX } from '../../domain/operator-input';

const PREFIX: Readonly<Record<OperatorChannel, string>> = { cli: 'cli', telegram: 'tg', pagerduty: 'pd' };

export const CHANNEL_LABEL: Readonly<Record<OperatorChannel, string>> = { cli: 'CLI', telegram: 'Telegram', pagerduty: 'PagerDuty' };

/** Whitespace, control characters and bidi overrides: what an operator id may not hold. */
const NOT_IN_ID = /[\s\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

export function operatorFor(channel: OperatorChannel, name: string): Operator {
  const prefix = `${PREFIX[channel]}:`;
  const clean = name.replace(NOT_IN_ID, '_').slice(0, OPERATOR_ID_MAX - prefix.length);
  return { id: `${prefix}${clean || 'unknown'}`, channel };
}

/** `cli:<os user>`: who ran the command, as the workflows and the audit trail record it. */
export function cliOperator(): Operator {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid still identifies the caller.
    name = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return operatorFor('cli', name);
}

/** `tg:<numeric user id>`: usernames are never used (their owners can change them). */
export const telegramOperator = (userId: number): Operator => operatorFor('telegram', String(userId));
