import { z } from 'zod';
import { EXCHANGE_IDS, type ExchangeId as VenueId } from '../domain/market';
import { UNKNOWN_ORDER_POLICIES, FOREIGN_ORDER_POLICIES } from '../domain/reconciliation';
import type { RiskLimits } from '../domain/risk';
import { DEFAULT_ALERT_ROUTES, ROUTED_CHANNELS } from '../domain/severity';
import { StrategyConfig } from '../domain/strategy';

/** The venues (domain/market.ts's list) as a schema; the type is the domain's (adapters/exchange/ imports it from here). */
export const ExchangeId = z.enum(EXCHANGE_IDS);
export type ExchangeId = VenueId;

const percent = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .gt(0, { error: `${what} must be greater than 0` })
    .lte(100, { error: `${what} must be at most 100` });

/**
 * Upper bounds on numeric fields (issue 13 item 7): a typo such as `1e308` or
 * `0.000001` is refused at load rather than trading, looping or flooding on it.
 */
export const LIMITS = {
  maxUsd: 10_000_000,
  maxBalanceUsd: 1_000_000_000_000,
  minTickSeconds: 1,
  maxOrdersPerMinute: 1200,
  maxLatencyWarnMs: 60_000,
  maxRetentionDays: 36_500,
  minShipIntervalSeconds: 0.1,
} as const;

/** A bounded number with messages naming the bound. */
const between = (min: number, max: number, opts: { int?: boolean; minExclusive?: boolean } = {}) => {
  let n = z.number({ error: 'must be a number' });
  if (opts.int) n = n.int({ error: 'must be a whole number' });
  n = opts.minExclusive ? n.gt(min, { error: `must be greater than ${min}` }) : n.gte(min, { error: `must be at least ${min}` });
  return n.lte(max, { error: `must be at most ${max}` });
};

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: 'must be host:port, e.g. 127.0.0.1:7233' });

const accountName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'must be 1-32 lowercase letters, digits or dashes' });

export const TemporalConfig = z
  .object({
    address: hostPort.default('127.0.0.1:7233'),
    namespace: z.string().min(1).max(200).default('default'),
    taskQueue: z.string().min(1).max(200).default('warden'),
    tls: z
      .object({
        enabled: z.boolean().default(false),
        serverName: z.string().optional(),
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
      })
      .strict()
      .default({ enabled: false }),
  })
  .strict();

export const ExchangeAccountConfig = z
  .object({
    exchange: ExchangeId,
    account: accountName,
    /** Real venue in production; the simulator in paper and tests. Unset means ccxt's own URL. */
    baseUrl: z.url({ error: 'must be a URL' }).optional(),
    /**
     * 'testnet': the venue's own test environment (binance's spot testnet, okx demo trading, bybit's
     * testnet) through ccxt's sandbox mode, with testnet keys; 'live' trades real funds. Either runs
     * under the production profile's rules (Secrets Manager, preflight); a paper account is the simulator.
     */
    mode: z.enum(['live', 'testnet'], { error: "must be 'live' or 'testnet'" }).default('live'),
    symbols: z.array(z.string().regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/, { error: 'must look like BTC/USDT' })).min(1).max(100, { error: 'must list at most 100 symbols' }).default(['BTC/USDT']),
    /** What the account's trading session runs; without one the account is watched but not traded. */
    strategy: StrategyConfig.optional(),
  })
  .strict();

/** The seed's limits (section 5, Risk Metrics) are the defaults; the shape is domain/risk.ts's RiskLimits. */
export const RiskConfig = z
  .object({
    dailyLossLimitPct: percent('risk.dailyLossLimitPct').default(5),
    maxDrawdownPct: percent('risk.maxDrawdownPct').default(20),
    maxConcentrationPct: percent('risk.maxConcentrationPct').default(20),
    maxLeverage: z.number().gte(1, { error: 'must be at least 1' }).lte(125, { error: 'must be at most 125' }).default(3),
    marginHealthBufferPct: percent('risk.marginHealthBufferPct').default(30),
    lowBalanceUsd: between(0, LIMITS.maxUsd).default(5000),
    maxOrderUsd: between(0, LIMITS.maxUsd, { minExclusive: true }).default(1000),
    maxOrdersPerMinute: between(1, LIMITS.maxOrdersPerMinute, { int: true }).default(30),
    /** Open orders under the desk's ids that a session never intended (issue #12): cancelled, or adopted and managed. */
    unknownOrders: z.enum(UNKNOWN_ORDER_POLICIES, { error: "must be 'cancel' or 'adopt'" }).default('cancel'),
    /**
     * Orders without a desk id on a traded account. 'unauthorized' (the seed's dedicated account): someone
     * else is using the keys, a SEV-1. 'allowed': the account is shared with manual trading; only reported.
     */
    foreignOrders: z.enum(FOREIGN_ORDER_POLICIES, { error: "must be 'unauthorized' or 'allowed'" }).default('unauthorized'),
  })
  .strict();

export const AwsConfig = z
  .object({
    region: z.string().min(1).default('us-east-1'),
    /** Set only for an emulator; real AWS uses the SDK's own endpoints. */
    endpoint: z.url({ error: 'must be a URL' }).optional(),
    forcePathStyle: z.boolean().default(false),
    auditBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, { error: 'must be a valid S3 bucket name' }).default('warden-audit-logs'),
    secretsPrefix: z.string().regex(/^[A-Za-z0-9/_+=.@-]+$/).default('warden'),
    /** The KMS HMAC_256 key that MACs each shipped audit object's chain head (`warden audit init` creates it on an emulator). */
    auditMacKeyId: z
      .string()
      .regex(/^(alias\/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|[0-9a-f-]{36})$/, {
        error: 'must be a KMS key id, key ARN, alias/<name> or alias ARN',
      })
      .default('alias/warden-audit-mac'),
  })
  .strict();

/**
 * Telegram's own accounts, never a person: 777000 posts service notifications and a linked
 * channel's posts, 1087968824 (GroupAnonymousBot) speaks for anonymous group admins,
 * 136817688 (Channel_Bot) for users posting as a channel. Whoever is behind them is unknown.
 */
export const TELEGRAM_SYSTEM_USER_IDS: readonly number[] = [777000, 1087968824, 136817688];

export const TelegramConfig = z
  .object({
    /** Numeric ids only: usernames can be changed by their owners and are never trusted. */
    chatId: z.number({ error: 'must be a numeric Telegram chat id' }).int(),
    operatorIds: z
      .array(
        z
          .number({ error: 'must be numeric Telegram user ids' })
          .int()
          .positive()
          .refine((id) => !TELEGRAM_SYSTEM_USER_IDS.includes(id), { error: (i) => `${String(i.input)} is a Telegram system account, never an operator` }),
      )
      .min(1, { error: 'must list at least one operator id' })
      .max(100, { error: 'must list at most 100 operator ids' }),
    apiRoot: z.url().optional(),
    /** A command older than this (its Telegram date vs now) is refused as stale: a 3-day-old /pause must not run. */
    maxCommandAgeSeconds: z.number().int().min(5).max(86_400).default(120),
  })
  .strict();

/** PagerDuty Events API v2; the routing key lives in the secrets store (`<prefix>/pagerduty/events`). */
export const PagerDutyConfig = z
  .object({
    apiUrl: z.url({ error: 'must be a URL' }).default('https://events.pagerduty.com'),
    /** `payload.source`: what PagerDuty shows as the affected system. */
    source: z.string().min(1).max(255).default('warden'),
    timeoutSeconds: z.number().positive().max(60).default(10),
    /** Attempts per delivery inside one activity attempt; Temporal's retry takes over after them. */
    maxAttempts: z.number().int().min(1).max(5).default(3),
    /** A 429 asking to wait longer than this fails the attempt at once: the durable retry waits instead of a blocked activity. */
    maxRetryAfterSeconds: z.number().nonnegative().max(30).default(5),
    /** Where the worker listens for PagerDuty's V3 webhook (acknowledgements); signing secret at `<prefix>/pagerduty/webhook`. */
    webhook: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9465) })
      .strict()
      .optional(),
  })
  .strict();

/** SMTP submission with STARTTLS required; credentials live in the secrets store (`<prefix>/smtp/credentials`). */
export const EmailConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    from: z.email({ error: 'must be an email address' }),
    to: z.array(z.email({ error: 'must be email addresses' })).min(1, { error: 'must list at least one address' }),
    /** PEM file of the CA that signed the server's certificate (a private relay); unset: the system's roots. */
    caFile: z.string().optional(),
    timeoutSeconds: z.number().positive().max(60).default(10),
  })
  .strict();

const routedChannels = z.array(z.enum(ROUTED_CHANNELS, { error: `must be one of ${ROUTED_CHANNELS.join(', ')}` }));
export const AlertRoutesConfig = z
  .object({
    CRITICAL: routedChannels.default([...DEFAULT_ALERT_ROUTES.CRITICAL]),
    WARNING: routedChannels.default([...DEFAULT_ALERT_ROUTES.WARNING]),
    INFO: routedChannels.default([...DEFAULT_ALERT_ROUTES.INFO]),
  })
  .strict();

export const EscalationContactConfig = z
  .object({
    name: z.string().min(1),
    telegram: z.number({ error: 'must be a numeric Telegram user id' }).int().positive().optional(),
    email: z.email({ error: 'must be an email address' }).optional(),
    pagerduty: z.string().regex(/^[A-Z0-9]{5,10}$/, { error: 'must be a PagerDuty user or escalation policy id, e.g. PABC123' }).optional(),
  })
  .strict()
  .refine((c) => c.telegram !== undefined || c.email !== undefined || c.pagerduty !== undefined, { error: 'must name at least one of telegram, email, pagerduty' });

/** The seed's alert table (section 5). */
export const AlertsConfig = z
  .object({
    marginHealthWarnPct: percent('alerts.marginHealthWarnPct').default(40),
    latencyWarnMs: between(1, LIMITS.maxLatencyWarnMs, { int: true }).default(500),
    /** Who an unacknowledged incident escalates to: Telegram ids, or people with a contact per channel. */
    escalation: z.array(z.union([z.number().int().positive(), EscalationContactConfig])).max(50, { error: 'must list at most 50 entries' }).default([]),
    /** Channels per alert level; a channel named here but not configured is skipped. */
    routes: AlertRoutesConfig.default(AlertRoutesConfig.parse({})),
    pagerduty: PagerDutyConfig.optional(),
    email: EmailConfig.optional(),
  })
  .strict();

export const SecretsConfig = z
  .object({
    /** `local-file` serves simulator keys to the paper desk; production refuses it. */
    provider: z.enum(['aws', 'local-file']).default('aws'),
    cacheTtlSeconds: z.number().int().positive().max(3600).default(300),
    /** The guide rotates exchange keys every 90 days; the daily rotation check warns and starts rotation after this. */
    rotationDays: z.number().int().positive().max(365).default(90),
  })
  .strict();

/** Where the audit trail lives and how long S3 keeps it locked (seed section 6). */
export const AuditConfig = z
  .object({
    retentionDays: z
      .object({
        audit: between(1, LIMITS.maxRetentionDays, { int: true }).default(2555),
        trading: between(1, LIMITS.maxRetentionDays, { int: true }).default(730),
        debug: between(1, LIMITS.maxRetentionDays, { int: true }).default(90),
      })
      .strict()
      .default({ audit: 2555, trading: 730, debug: 90 }),
    /** Ship spooled events to S3 (production); the paper desk keeps the spool alone. */
    shipToS3: z.boolean().default(false),
    shipIntervalSeconds: between(LIMITS.minShipIntervalSeconds, 3600).default(5),
    batchMaxEvents: z.number().int().positive().max(100_000).default(1000),
  })
  .strict();

export const WardenConfig = z
  .object({
    profile: z.enum(['paper', 'production'], { error: "must be 'paper' or 'production'" }),
    desk: z
      .object({
        name: accountName.default('desk'),
        /** Holds the dev server db, the audit spool and paper keys. Relative to the config file. */
        stateDir: z.string().min(1).default('.warden'),
      })
      .strict()
      .default({ name: 'desk', stateDir: '.warden' }),
    temporal: TemporalConfig.default(TemporalConfig.parse({})),
    exchanges: z.array(ExchangeAccountConfig).max(100, { error: 'must list at most 100 accounts' }).default([]),
    risk: RiskConfig.default(RiskConfig.parse({})),
    aws: AwsConfig.default(AwsConfig.parse({})),
    telegram: TelegramConfig.optional(),
    alerts: AlertsConfig.default(AlertsConfig.parse({})),
    secrets: SecretsConfig.default(SecretsConfig.parse({})),
    audit: AuditConfig.default(AuditConfig.parse({})),
    metrics: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) })
      .strict()
      .default({ host: '127.0.0.1', port: 9464 }),
    /** Optional stores; preflight checks that they require TLS. */
    sessions: z
      .object({
        /** Seconds between ticks (freqtrade's loop runs every 5 s). */
        tickSeconds: between(LIMITS.minTickSeconds, 3600).default(5),
        /** Consecutive exchange failures that open the circuit breaker. */
        failureThreshold: z.number().int().positive().max(100).default(5),
        maxTicksPerRun: z.number().int().positive().max(10_000).default(500),
        /** The venue dead man's switch countdown, seconds (okx accepts 10-120); unset: 60 (domain/dead-mans-switch.ts). */
        deadMansSwitchSeconds: z.number().int().min(10).max(120).optional(),
      })
      .strict()
      .default({ tickSeconds: 5, failureThreshold: 5, maxTicksPerRun: 500 }),
    /** Funds held outside the exchange, for the rebalancing procedure's tier arithmetic (seed section 3). */
    wallets: z
      .object({
        coldUsd: between(0, LIMITS.maxBalanceUsd),
        hotUsd: between(0, LIMITS.maxBalanceUsd).default(0),
        /** OS user names allowed to confirm transfers from the CLI (Telegram operators are allowed by id). */
        cliOperators: z.array(z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'must be a user name' })).max(100).default([]),
      })
      .strict()
      .optional(),
    incidents: z
      .object({
        /** The seed's detection budget: escalate when nobody acknowledges within it. */
        ackTimeoutSeconds: z.number().int().positive().max(3600).default(300),
      })
      .strict()
      .default({ ackTimeoutSeconds: 300 }),
    databaseUrl: z.string().max(2048).optional(),
    redisUrl: z.string().max(2048).optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.exchanges.forEach((x, i) => {
      const key = `${x.exchange}/${x.account}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['exchanges', i], message: `duplicate account ${key}` });
      seen.add(key);
    });
    cfg.exchanges.forEach((x, i) => {
      if (cfg.profile === 'paper' && x.mode === 'testnet') {
        ctx.addIssue({ code: 'custom', path: ['exchanges', i, 'mode'], message: "testnet runs under the production profile (keys from Secrets Manager, preflight gates it); a paper account is the simulator" });
      }
    });
    if (cfg.profile === 'production' && !cfg.audit.shipToS3) {
      ctx.addIssue({ code: 'custom', path: ['audit', 'shipToS3'], message: 'production ships the audit trail to the WORM bucket; it must be true' });
    }
    if (cfg.profile === 'production' && cfg.secrets.provider !== 'aws') {
      ctx.addIssue({
        code: 'custom',
        path: ['secrets', 'provider'],
        message: "production requires 'aws' (Secrets Manager); the local file provider is for paper trading only",
      });
    }
  });

export type WardenConfig = z.infer<typeof WardenConfig>;
export type ExchangeAccountConfig = z.infer<typeof ExchangeAccountConfig>;
export type RiskConfig = z.infer<typeof RiskConfig>;
/** Compiles only while RiskConfig parses exactly domain/risk.ts's RiskLimits: a field added to one is added to the other. */
export type RiskConfigIsRiskLimits = Holds<[RiskConfig] extends [RiskLimits] ? ([RiskLimits] extends [RiskConfig] ? true : false) : false>;
type Holds<T extends true> = T;
export type AwsConfig = z.infer<typeof AwsConfig>;
export type PagerDutyConfig = z.infer<typeof PagerDutyConfig>;
export type EmailConfig = z.infer<typeof EmailConfig>;
