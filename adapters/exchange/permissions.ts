import type { Exchange } from 'ccxt';
import { z } from 'zod';
import type { ExchangeId } from '../../config/schema';

/** What a venue says its API key may do, in one shape for the key auditor (seed section 2). */
export interface VenueKeyPermissions {
  read: boolean;
  trade: boolean;
  withdraw: boolean;
  transfer: boolean;
  ipWhitelist: string[];
}

type ImplicitCall = (params?: Record<string, unknown>) => Promise<unknown>;

function implicit(exchange: Exchange, name: string): ImplicitCall {
  const fn = (exchange as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`ccxt ${exchange.id} has no ${name}`);
  return (fn as ImplicitCall).bind(exchange);
}

/** Venue responses are validated like any other input from outside; a surprise is an error that names the field. */
function parse<T extends z.ZodType>(venue: string, endpoint: string, schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw new Error(`${venue} ${endpoint} answered in an unexpected shape: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return r.data as z.infer<T>;
}

const BinanceRestrictions = z.object({
  ipRestrict: z.boolean(),
  enableReading: z.boolean(),
  enableWithdrawals: z.boolean(),
  enableInternalTransfer: z.boolean(),
  permitsUniversalTransfer: z.boolean().optional(),
  enableSpotAndMarginTrading: z.boolean(),
});
const BinanceIpRestriction = z.object({ ipList: z.array(z.string()).default([]) });

const OkxConfig = z.object({ data: z.array(z.object({ perm: z.string(), ip: z.string().default('') })).min(1) });

const BybitQueryApi = z.object({
  result: z.object({
    readOnly: z.coerce.number(),
    ips: z.array(z.string()).default([]),
    permissions: z.record(z.string(), z.array(z.string())).default({}),
  }),
});

export async function readKeyPermissions(exchange: Exchange, venue: ExchangeId): Promise<VenueKeyPermissions> {
  switch (venue) {
    case 'binance': {
      const r = parse(venue, 'apiRestrictions', BinanceRestrictions, await implicit(exchange, 'sapiGetAccountApiRestrictions')());
      const ips = r.ipRestrict
        ? parse(venue, 'apiRestrictions/ipRestriction', BinanceIpRestriction, await implicit(exchange, 'sapiGetAccountApiRestrictionsIpRestriction')()).ipList
        : [];
      return {
        read: r.enableReading,
        trade: r.enableSpotAndMarginTrading,
        withdraw: r.enableWithdrawals,
        transfer: r.enableInternalTransfer || r.permitsUniversalTransfer === true,
        ipWhitelist: ips,
      };
    }
    case 'okx': {
      const cfg = parse(venue, 'account/config', OkxConfig, await implicit(exchange, 'privateGetAccountConfig')()).data[0]!;
      const perms = cfg.perm.split(',').map((p) => p.trim());
      return {
        read: perms.includes('read_only') || perms.length > 0,
        trade: perms.includes('trade'),
        // okx's withdraw permission also covers moving funds out by transfer.
        withdraw: perms.includes('withdraw'),
        transfer: perms.includes('withdraw') || perms.includes('transfer'),
        ipWhitelist: cfg.ip.split(',').map((s) => s.trim()).filter(Boolean),
      };
    }
    case 'bybit': {
      const r = parse(venue, 'user/query-api', BybitQueryApi, await implicit(exchange, 'privateGetV5UserQueryApi')()).result;
      const all = Object.values(r.permissions).flat();
      const tradeGroups = ['Spot', 'ContractTrade', 'Derivatives', 'Options', 'Exchange'];
      return {
        read: true,
        trade: r.readOnly === 0 && tradeGroups.some((g) => (r.permissions[g] ?? []).length > 0),
        withdraw: all.includes('Withdraw'),
        transfer: all.some((p) => p === 'AccountTransfer' || p === 'SubMemberTransfer'),
        // bybit reports an unrestricted key as ["*"]; the auditor treats that as a wildcard.
        ipWhitelist: r.ips,
      };
    }
  }
}
