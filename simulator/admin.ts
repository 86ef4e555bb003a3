import { z } from 'zod';
import { CoreError } from './exchange-core';
import { registerPaperKeys } from './paper';
import type { Simulator } from './server';
import { VENUES } from './types';

/** The admin HTTP API under /__admin: every input is validated, and a bad one is answered 400 naming the field. */

const venue = z.enum(VENUES, { error: `must be one of ${VENUES.join(', ')}` });
const account = z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be 1-64 letters, digits, _ or -' });
const asset = z.string({ error: 'must be a string' }).regex(/^[A-Z0-9]{2,10}$/, { error: 'must be an upper-case asset code like USDT' });
const symbol = z.string({ error: 'must be a string' }).regex(/^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/, { error: 'must look like BTC/USDT' });
const seed = z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0).max(4_294_967_295);

export const KeyBody = z
  .object({
    venue,
    account,
    apiKey: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{8,128}$/, { error: 'must be 8-128 letters, digits, _ or -' }),
    secret: z.string({ error: 'must be a string' }).min(8, { error: 'must be at least 8 characters' }).max(512),
    passphrase: z.string().min(1).max(64).optional(),
    permissions: z
      .object({ read: z.boolean(), trade: z.boolean(), withdraw: z.boolean(), transfer: z.boolean() }, { error: 'must be {read, trade, withdraw, transfer} booleans' })
      .strict(),
    ipWhitelist: z.array(z.string().min(1).max(64)).max(30).default([]),
    label: z.string().max(64).optional(),
    demo: z.boolean({ error: 'must be a boolean' }).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.venue === 'okx' && !k.passphrase) ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'is required for okx keys' });
    if (k.demo && k.venue !== 'okx') ctx.addIssue({ code: 'custom', path: ['demo'], message: 'only okx keys are demo-trading keys (binance and bybit testnets are other hosts)' });
  });

const RevokeBody = z.object({ venue, apiKey: z.string().min(1) }).strict();
const BalanceBody = z.object({ venue, account, asset, total: z.number({ error: 'must be a number' }).finite().nonnegative({ error: 'must not be negative' }) }).strict();
const PriceBody = z.object({ symbol, price: z.number({ error: 'must be a number' }).finite().positive({ error: 'must be greater than 0' }) }).strict();
const TickBody = z.object({ steps: z.number({ error: 'must be a number' }).int().min(1).max(100_000).default(1) }).strict();
const ResetBody = z.object({ seed: seed.optional() }).strict();
const FaultBody = z
  .object({
    venue: z.union([venue, z.literal('all')], { error: `must be one of ${VENUES.join(', ')}, all` }),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    orderLatencyMs: z.number().int().min(0).max(120_000).optional(),
    orderSpikes: z.number().int().min(0).max(1000).optional(),
    orderSpikeMs: z.number().int().min(0).max(120_000).optional(),
    acceptThenDrop: z.number().int().min(0).max(1000).optional(),
    acceptThen5xxRate: z.number().min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).optional(),
    errorRate: z.number().min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }).optional(),
    errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)], { error: 'must be 500, 502, 503 or 504' }).optional(),
    rateLimitRemaining: z.number().int().min(0).max(1_000_000).optional(),
    rateLimitStatus: z.union([z.literal(429), z.literal(418)], { error: 'must be 429 or 418' }).optional(),
    rateLimitRetryAfterSec: z.number().int().min(1).max(3600).optional(),
    banMs: z.number().int().min(0).max(3_600_000).optional(),
    clockSkewMs: z.number().int().min(-3_600_000).max(3_600_000).optional(),
    maintenance: z.boolean().optional(),
    dropOrderResponses: z.number().int().min(0).max(1000).optional(),
    refuseOrders: z.number().int().min(0).max(1000).optional(),
    lookupLatencyMs: z.number().int().min(0).max(120_000).optional(),
    orderAnswerLatencyMs: z.number().int().min(0).max(120_000).optional(),
  })
  .strict();
const ClearFaultsBody = z.object({ venue: venue.optional() }).strict();
const AccountQuery = z.object({ venue, account }).strict();
const KeysQuery = z.object({ venue: venue.optional() }).strict();
const PaperBody = z.object({ account: account.optional() }).strict();

export interface AdminReply {
  status: number;
  body: unknown;
}

class BadInput extends Error {}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join('.') : '(body)';
  throw new BadInput(`${where}: ${issue?.message ?? 'invalid'}`);
}

export function handleAdmin(sim: Simulator, method: string, path: string, query: URLSearchParams, rawBody: string): AdminReply {
  try {
    let body: unknown = {};
    if (method === 'POST' && rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        throw new BadInput('(body): must be JSON');
      }
    }
    const q = Object.fromEntries(query);
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /__admin/health':
        return ok({ ok: true, seed: sim.seed, venues: VENUES, symbols: Object.keys(sim.prices()) });
      case 'GET /__admin/prices':
        return ok(sim.prices());
      case 'GET /__admin/orders': {
        const a = parse(AccountQuery, q);
        return ok(sim.orders(a.venue, a.account));
      }
      case 'GET /__admin/balances': {
        const a = parse(AccountQuery, q);
        return ok(sim.balances(a.venue, a.account));
      }
      case 'GET /__admin/state': {
        const a = parse(AccountQuery, q);
        return ok({ prices: sim.prices(), balances: sim.balances(a.venue, a.account), orders: sim.orders(a.venue, a.account), faults: sim.faults(a.venue) });
      }
      case 'GET /__admin/keys':
        return ok(sim.keys(parse(KeysQuery, q).venue));
      case 'GET /__admin/faults':
        return ok(Object.fromEntries(VENUES.map((v) => [v, sim.faults(v)])));
      case 'POST /__admin/reset':
        sim.reset(parse(ResetBody, body).seed);
        return ok({ ok: true, seed: sim.seed });
      case 'POST /__admin/keys': {
        const k = parse(KeyBody, body);
        sim.registerKey(k);
        return ok({ ok: true, venue: k.venue, apiKey: k.apiKey });
      }
      case 'POST /__admin/keys/revoke': {
        const r = parse(RevokeBody, body);
        if (!sim.keys(r.venue).some((k) => k.apiKey === r.apiKey)) return { status: 404, body: { error: `apiKey: no ${r.venue} key with that id` } };
        sim.revokeKey(r.venue, r.apiKey);
        return ok({ ok: true });
      }
      case 'POST /__admin/balance': {
        const b = parse(BalanceBody, body);
        sim.setBalance(b.venue, b.account, b.asset, b.total);
        return ok(sim.balances(b.venue, b.account));
      }
      case 'POST /__admin/price': {
        const p = parse(PriceBody, body);
        if (!(p.symbol in sim.prices())) throw new BadInput(`symbol: ${p.symbol} is not simulated`);
        sim.setPrice(p.symbol, p.price);
        return ok(sim.prices());
      }
      case 'POST /__admin/tick': {
        const t = parse(TickBody, body);
        return ok({ moves: sim.tick(t.steps).length, prices: sim.prices() });
      }
      case 'POST /__admin/faults': {
        const { venue: v, ...patch } = parse(FaultBody, body);
        sim.setFaults(v, patch);
        return ok(Object.fromEntries(VENUES.map((x) => [x, sim.faults(x)])));
      }
      case 'POST /__admin/faults/clear':
        sim.clearFaults(parse(ClearFaultsBody, body).venue);
        return ok({ ok: true });
      case 'POST /__admin/paper-keys': {
        const p = parse(PaperBody, body);
        return ok(registerPaperKeys(sim, { account: p.account }));
      }
      default:
        return { status: 404, body: { error: `no admin endpoint ${method} ${path}` } };
    }
  } catch (e) {
    if (e instanceof BadInput) return { status: 400, body: { error: e.message } };
    if (e instanceof CoreError) return { status: 400, body: { error: e.message } };
    throw e;
  }
}

function ok(body: unknown): AdminReply {
  return { status: 200, body };
}
