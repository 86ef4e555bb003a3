/**
 * The bot's own texts: its command list and the /resume confirmation prompt. Command replies are the
 * core's (operator/core/format.ts), shared with the CLI.
 */
import { plural } from '../core/format';
import { COMMANDS } from './commands';

export function formatHelp(): string {
  return Object.values(COMMANDS)
    .map((c) => `${c.usage}: ${c.summary}`)
    .join('\n');
}

export function formatResumePrompt(reason: string, expiresInMinutes: number): string {
  return `Resume trading on every session?\nReason: ${reason}\nThis button expires in ${plural(expiresInMinutes, 'minute')}.`;
}
