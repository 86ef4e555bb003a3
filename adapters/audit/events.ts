import { z } from 'zod';

/**
 * The audit trail's event types (seed section 6). Payloads are typed so a
 * reader years from now knows what each field meant; none carries a secret value.
 */
const who = z.string().min(1);

export const AuditPayloads = {
  order_placed: z.object({
    exchange: z.string(),
    account: z.string(),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    type: z.enum(['limit', 'market']),
    amount: z.number(),
    price: z.number().optional(),
    orderId: z.string(),
    clientOrderId: z.string(),
    session: z.string().optional(),
  }),
  order_cancelled: z.object({
    exchange: z.string(),
    account: z.string(),
    symbol: z.string(),
    orderId: z.string(),
    clientOrderId: z.string().optional(),
    reason: z.string(),
  }),
  /** One fill, once (its id is the venue's trade id): the books' line, with the fee as charged. */
  trade: z.object({
    exchange: z.string(),
    account: z.string(),
    session: z.string(),
    symbol: z.string(),
    side: z.enum(['buy', 'sell']),
    price: z.number(),
    amount: z.number(),
    fee: z.number(),
    feeCurrency: z.string(),
    tradeId: z.string(),
    orderId: z.string(),
    clientOrderId: z.string().optional(),
    time: z.string(),
  }),
  order_refused: z.object({ exchange: z.string(), account: z.string(), symbol: z.string(), rule: z.string(), reason: z.string() }),
  config_change: z.object({ parameter: z.string(), old_value: z.string(), new_value: z.string(), changed_by: who, reason: z.string() }),
  secret_access: z.object({ secret_name: z.string(), purpose: z.string(), accessed_by: who, success: z.boolean(), error: z.string().optional() }),
  operator_command: z.object({
    operator: who,
    channel: z.enum(['telegram', 'cli', 'api', 'pagerduty']),
    command: z.string(),
    outcome: z.enum(['accepted', 'refused', 'failed']),
    detail: z.string().optional(),
  }),
  alert: z.object({ severity: z.enum(['CRITICAL', 'WARNING', 'INFO']), condition: z.string(), message: z.string(), delivered: z.boolean().optional() }),
  /** One channel's outcome for one alert or incident phase (issue 18): which pager, mail or chat got it. */
  alert_delivery: z.object({
    channel: z.string(),
    kind: z.enum(['alert', 'acknowledge', 'resolve', 'test']),
    key: z.string(),
    outcome: z.enum(['delivered', 'failed']),
    error: z.string().optional(),
  }),
  incident_phase: z.object({ incident: z.string(), severity: z.string(), phase: z.string(), note: z.string().optional() }),
  rebalance_step: z.object({ rebalance: z.string(), step: z.string(), detail: z.string().optional() }),
  key_audit: z.object({ exchange: z.string(), account: z.string(), key: z.string(), severity: z.string(), code: z.string(), message: z.string() }),
  circuit_breaker: z.object({ session: z.string(), state: z.enum(['open', 'closed']), by: z.string(), reason: z.string() }),
  session_event: z.object({ session: z.string(), event: z.string(), detail: z.string().optional() }),
  /** One reconciliation of a session's orders with its venue (issue #12): what it found and did. */
  reconciliation: z.object({
    session: z.string(),
    trigger: z.string(),
    outcome: z.enum(['ok', 'pending', 'failed']),
    cancelled: z.array(z.string()),
    adopted: z.array(z.string()),
    unknownClosed: z.array(z.string()),
    foreign: z.array(z.string()),
    /** Orders the desk did not place on an account that is its alone (evidence of someone else using its keys). */
    intruders: z.array(z.string()).optional(),
    resolved: z.array(z.string()),
    unresolved: z.array(z.string()),
    detail: z.string().optional(),
  }),
} as const;

export type AuditEventType = keyof typeof AuditPayloads;
export const AUDIT_EVENT_TYPES = Object.keys(AuditPayloads) as AuditEventType[];

export type AuditPayload<T extends AuditEventType> = z.infer<(typeof AuditPayloads)[T]>;

/** What a caller hands in; the trail adds sequence, time, host and the hash chain. */
export type AuditEventInput = {
  [T in AuditEventType]: {
    type: T;
    actor: string;
    data: AuditPayload<T>;
    /** A deterministic id makes a retried write a no-op (activities pass one). */
    id?: string;
    /** Event time; defaults to the trail's clock. */
    time?: string;
  };
}[AuditEventType];

export const AuditEventInputSchema = z.discriminatedUnion(
  'type',
  AUDIT_EVENT_TYPES.map((type) =>
    z.object({
      type: z.literal(type),
      actor: who,
      data: AuditPayloads[type],
      id: z.string().min(1).max(200).optional(),
      time: z.iso.datetime({ offset: true }).optional(),
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/** An event as stored: one JSON line in the spool and in the shipped objects. */
export interface AuditEvent {
  seq: number;
  id: string;
  time: string;
  type: AuditEventType;
  actor: string;
  host: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
