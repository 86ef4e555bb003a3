/**
 * Pending `/resume` confirmations: one-shot, short-lived, bound to the message
 * that carries the buttons. Kept in memory on purpose: after a restart the old
 * buttons simply expire, so a stale press can never resume trading.
 */
import { randomBytes } from 'node:crypto';

export interface PendingResume {
  nonce: string;
  requestedBy: string;
  reason: string;
  chatId: number;
  messageId?: number;
  expiresAt: number;
}

export type TakeResult = { ok: true; pending: PendingResume } | { ok: false; why: 'unknown' | 'expired' };

export class ResumeConfirmations {
  private readonly pending = new Map<string, PendingResume>();

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(requestedBy: string, reason: string, chatId: number): PendingResume {
    this.prune();
    const p: PendingResume = { nonce: randomBytes(8).toString('hex'), requestedBy, reason, chatId, expiresAt: this.now() + this.ttlMs };
    this.pending.set(p.nonce, p);
    return p;
  }

  /** Records which message carries the buttons, once Telegram has returned its id. */
  bind(nonce: string, messageId: number): void {
    const p = this.pending.get(nonce);
    if (p) p.messageId = messageId;
  }

  /** Removes and returns the confirmation (a double tap acts once). */
  take(nonce: string, chatId: number, messageId: number): TakeResult {
    const p = this.pending.get(nonce);
    if (!p || p.chatId !== chatId || p.messageId !== messageId) return { ok: false, why: 'unknown' };
    this.pending.delete(nonce);
    if (this.now() >= p.expiresAt) return { ok: false, why: 'expired' };
    return { ok: true, pending: p };
  }

  get size(): number {
    return this.pending.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [nonce, p] of this.pending) if (now >= p.expiresAt) this.pending.delete(nonce);
  }
}
