import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin';
import { ExchangeCore, type FeeSchedule } from './exchange-core';
import { Faults, type FaultPatch, type VenueFaults } from './faults';
import { BASE_CANDLE_MS, Market, resolveSymbols, type CsvReplaySpec, type PriceMove, type SymbolInput } from './market';
import type { ApiKeySpec, BalanceView, PublicKeyView, SimOrder, VenueId } from './types';
import { binanceDialect } from './venues/binance';
import { bybitDialect } from './venues/bybit';
import type { VenueContext, VenueDialect, VenueRequest, VenueResponse } from './venues/common';
import { okxDialect } from './venues/okx';

export const DEFAULT_SIM_PORT = 8899;
const DIALECTS: VenueDialect[] = [binanceDialect, okxDialect, bybitDialect];
const MAX_BODY = 1_000_000;

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port (read it back from `url`). */
  port?: number;
  /** Seeds the price paths and the error-rate fault; same seed, same path. Default 1. */
  seed?: number;
  /** Default BTC/USDT and ETH/USDT. */
  symbols?: SymbolInput[];
  csvReplay?: CsvReplaySpec[];
  /** Simulated time per tick. Default 60000 (one 1m candle per tick). */
  tickMs?: number;
  /** If set, tick() runs on a wall-clock timer this often; otherwise prices move only when told. */
  autoTickMs?: number;
  /** Simulated time at start; default now, floored to the minute. */
  startTime?: number;
  /** 1m candles of generated history. Default 240. */
  historyCandles?: number;
  fees?: Partial<FeeSchedule>;
  spreadBps?: number;
  bookLevels?: number;
  levelStepBps?: number;
}

/** A running simulator; the methods mirror the admin HTTP API so in-process tests need no HTTP for setup. */
export interface Simulator {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  registerKey(spec: ApiKeySpec): void;
  revokeKey(venue: VenueId, apiKey: string): void;
  keys(venue?: VenueId): PublicKeyView[];
  setBalance(venue: VenueId, account: string, asset: string, total: number): void;
  balances(venue: VenueId, account: string): Record<string, BalanceView>;
  setPrice(symbol: string, price: number): void;
  price(symbol: string): number;
  prices(): Record<string, number>;
  tick(steps?: number): PriceMove[];
  setFaults(venue: VenueId | 'all', patch: FaultPatch): void;
  clearFaults(venue?: VenueId): void;
  faults(venue: VenueId): VenueFaults;
  /** Requests the venue answered with an IP ban (418): a client that honours Retry-After never earns one. */
  banAnswers(venue: VenueId): number;
  /** Venue requests received and not yet answered or run (held by latency, or waiting on the engine). */
  inFlightRequests(): number;
  /** Every order the account has placed, oldest first (copies). */
  orders(venue: VenueId, account: string): SimOrder[];
  /** When the account's venue cancel-after countdown (dead man's switch) fires, epoch ms; undefined if none is armed. */
  cancelAfter(venue: VenueId, account: string): number | undefined;
  /** Clears keys, balances, orders and faults, and restarts the price paths (optionally from a new seed). */
  reset(seed?: number): void;
  close(): Promise<void>;
}

function isLoopback(ip: string | undefined): boolean {
  return !!ip && (ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.'));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: VenueResponse | { status: number; body: unknown }, headers: Record<string, string> = {}): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { 'content-type': typeof r.body === 'string' ? 'text/html; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}

const gatewayPage = (status: number) =>
  `<html><head><title>${status} Error</title></head><body><center><h1>${status} Error</h1></center><hr><center>simulated gateway</center></body></html>`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const tickMs = options.tickMs ?? BASE_CANDLE_MS;
  const market = new Market({
    seed,
    symbols: resolveSymbols(options.symbols),
    tickMs,
    startTime: options.startTime ?? Math.floor(Date.now() / BASE_CANDLE_MS) * BASE_CANDLE_MS,
    historyCandles: options.historyCandles ?? 240,
    csvReplay: options.csvReplay,
    spreadBps: options.spreadBps ?? 2,
    bookLevels: options.bookLevels ?? 20,
    levelStepBps: options.levelStepBps ?? 1,
  });
  const fees: FeeSchedule = { maker: options.fees?.maker ?? 0.001, taker: options.fees?.taker ?? 0.001 };
  const core = new ExchangeCore(market, fees);
  const faults = new Faults(seed);
  const ctx: VenueContext = { core, market, fees, now: () => Date.now() };

  const host = options.host ?? '127.0.0.1';
  const bound = { port: 0, close: async (): Promise<void> => undefined };
  let inFlight = 0;
  const sim: Simulator = {
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
    },
    host,
    get port() {
      return bound.port;
    },
    get seed() {
      return market.seed;
    },
    registerKey: (spec) => core.registerKey(spec),
    revokeKey: (venue, apiKey) => {
      if (!core.revokeKey(venue, apiKey)) throw new Error(`no ${venue} key ${apiKey.slice(0, 4)}…`);
    },
    keys: (venue) => core.listKeys(venue),
    setBalance: (venue, account, asset, total) => core.setBalance(venue, account, asset, total),
    balances: (venue, account) => core.balances(venue, account),
    setPrice: (symbol, price) => void core.setPrice(symbol, price),
    price: (symbol) => market.price(symbol),
    prices: () => market.prices(),
    tick: (steps = 1) => core.tick(steps),
    setFaults: (venue, patch) => faults.set(venue, patch),
    clearFaults: (venue) => faults.clear(venue),
    faults: (venue) => faults.get(venue),
    banAnswers: (venue) => faults.banAnswers(venue),
    inFlightRequests: () => inFlight,
    orders: (venue, account) => structuredClone(core.orders(venue, account)),
    cancelAfter: (venue, account) => core.cancelAfter(venue, account),
    reset: (newSeed) => {
      core.reset(newSeed);
      faults.reset(market.seed);
    },
    close: () => bound.close(),
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: `simulator bug: ${(err as Error).message}` } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const rawQuery = q < 0 ? '' : raw.slice(q + 1);
    const rawBody = await readBody(req);
    if (rawBody === undefined) return send(res, { status: 413, body: { error: 'body too large' } });
    const remoteIp = req.socket.remoteAddress ?? '';

    if (path === '/__admin' || path.startsWith('/__admin/')) {
      // Admin can mint keys and move money: loopback callers only.
      if (!isLoopback(remoteIp)) return send(res, { status: 403, body: { error: 'the admin API answers loopback callers only' } });
      return send(res, handleAdmin(sim, req.method ?? 'GET', path, new URLSearchParams(rawQuery), rawBody));
    }

    const dialect = DIALECTS.find((d) => d.handles(path));
    if (!dialect) return send(res, { status: 404, body: { error: `no simulated venue serves ${path}` } });
    inFlight++;
    try {
      await handleVenue(req, res, dialect, path, rawQuery, rawBody, remoteIp);
    } finally {
      inFlight--;
    }
  }

  async function handleVenue(req: IncomingMessage, res: ServerResponse, dialect: VenueDialect, path: string, rawQuery: string, rawBody: string, remoteIp: string): Promise<void> {
    const venue = dialect.venue;
    // Held before the venue sees it: every check below, the request's window included, runs after the hold.
    const latency = faults.latency(venue);
    if (latency > 0) await sleep(latency);
    // The venue's own clock: its server time and every signature window read it (a skew fault moves it).
    const skewMs = faults.get(venue).clockSkewMs;
    const venueCtx: VenueContext = skewMs ? { ...ctx, now: () => Date.now() + skewMs } : ctx;
    const decision = faults.decide(venue, venueCtx.now());
    if (decision.kind === 'maintenance') return send(res, dialect.maintenance());
    if (decision.kind === 'rate_limit') return send(res, dialect.rateLimited(decision.status), { 'retry-after': String(decision.retryAfterSec) });
    if (decision.kind === 'server_error') return send(res, { status: decision.status, body: gatewayPage(decision.status) });

    const venueReq: VenueRequest = {
      method: req.method ?? 'GET',
      path,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      rawBody,
      headers: req.headers,
      remoteIp,
    };
    let answered = false;
    if (dialect.looksUpOrder(venueReq)) {
      const hold = faults.get(venue).lookupLatencyMs;
      if (hold > 0) await sleep(hold);
    }
    if (dialect.placesOrder(venueReq)) {
      if (faults.takeOrderRefusal(venue)) return send(res, dialect.rateLimited(429));
      const order = faults.decideOrder(venue);
      if (order.engineDelayMs > 0 || order.lostAnswer) {
        // Checked on arrival, as the venue would; handle() below checks the window again when the engine runs it.
        const refusal = dialect.admit(venueReq, venueCtx);
        if (refusal) return send(res, refusal);
        if (order.lostAnswer?.kind === 'drop') req.socket.destroy();
        else if (order.lostAnswer) send(res, { status: order.lostAnswer.status, body: gatewayPage(order.lostAnswer.status) });
        answered = !!order.lostAnswer;
        if (order.engineDelayMs > 0) await sleep(order.engineDelayMs);
      }
    }
    const answer = dialect.handle(venueReq, venueCtx);
    if (answered) return;
    const answerHold = answer.orderPlaced ? faults.get(venue).orderAnswerLatencyMs : 0;
    if (answerHold > 0) await sleep(answerHold);
    if (answer.orderPlaced && faults.takeDrop(venue)) {
      // The order exists at the venue; the client only ever sees a dead connection.
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  bound.port = (server.address() as AddressInfo).port;
  const timer = options.autoTickMs && options.autoTickMs > 0 ? setInterval(() => core.tick(1), options.autoTickMs) : undefined;
  timer?.unref();
  bound.close = async () => {
    if (timer) clearInterval(timer);
    core.clearCountdowns();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return sim;
}
