import { readFileSync } from 'node:fs';
import { childRng, normal, type Rng } from './prng';
import { ceilTo, clean, floorTo, roundTo } from './numbers';
import type { Candle, SymbolSpec } from './types';

/** Candles are stored at 1m and aggregated on request, as the venues do. */
export const BASE_CANDLE_MS = 60_000;
const DAY_MS = 86_400_000;

const KNOWN_SYMBOLS: Record<string, Omit<SymbolSpec, 'symbol'>> = {
  'BTC/USDT': { price: 60_000, tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minNotional: 5, volatility: 0.001, bookLevelSize: 0.5 },
  'ETH/USDT': { price: 3_000, tickSize: 0.01, stepSize: 0.0001, minQty: 0.0001, minNotional: 5, volatility: 0.0012, bookLevelSize: 5 },
};
const GENERIC_SYMBOL: Omit<SymbolSpec, 'symbol'> = {
  price: 100,
  tickSize: 0.01,
  stepSize: 0.001,
  minQty: 0.001,
  minNotional: 5,
  volatility: 0.0015,
  bookLevelSize: 50,
};

export const DEFAULT_SYMBOLS = Object.keys(KNOWN_SYMBOLS);

export type SymbolInput = string | (Partial<SymbolSpec> & { symbol: string });

const SYMBOL_RE = /^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/;

export function resolveSymbols(inputs: SymbolInput[] = DEFAULT_SYMBOLS): SymbolSpec[] {
  return inputs.map((input) => {
    const partial = typeof input === 'string' ? { symbol: input } : input;
    if (!SYMBOL_RE.test(partial.symbol)) throw new Error(`symbol "${partial.symbol}" must look like BTC/USDT`);
    const spec: SymbolSpec = { ...(KNOWN_SYMBOLS[partial.symbol] ?? GENERIC_SYMBOL), ...partial };
    for (const k of ['price', 'tickSize', 'stepSize', 'minQty', 'bookLevelSize'] as const) {
      if (!(spec[k] > 0)) throw new Error(`${spec.symbol}.${k} must be greater than 0`);
    }
    return spec;
  });
}

export interface CsvReplaySpec {
  symbol: string;
  /** A CSV file of 1m rows: timestamp,open,high,low,close,volume (header optional; ms, s or ISO timestamps). */
  path?: string;
  /** The CSV text itself, instead of a path. */
  csv?: string;
  /** Rows already revealed at start (history); each tick reveals one more. Default 1. */
  warmup?: number;
}

export function parseOhlcvCsv(text: string): Candle[] {
  const rows: Candle[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const cells = line.trim().split(',').map((c) => c.trim());
    if (cells.length < 6 || cells[0] === '') continue;
    const [tsText = '', ...rest] = cells;
    const nums = rest.slice(0, 5).map(Number);
    const ts = parseTimestamp(tsText);
    if (ts === undefined || nums.some((n) => !Number.isFinite(n))) {
      if (i === 0) continue; // header row
      throw new Error(`OHLCV CSV line ${i + 1}: expected timestamp,open,high,low,close,volume`);
    }
    const [open = 0, high = 0, low = 0, close = 0, volume = 0] = nums;
    rows.push({ ts, open, high, low, close, volume });
  }
  if (rows.length === 0) throw new Error('OHLCV CSV has no rows');
  return rows.sort((a, b) => a.ts - b.ts);
}

function parseTimestamp(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e12 ? Math.round(n * 1000) : Math.round(n);
  }
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

export interface MarketOptions {
  seed: number;
  symbols: SymbolSpec[];
  /** Simulated time one tick advances; candles roll over every BASE_CANDLE_MS of it. */
  tickMs: number;
  /** Simulated time at start (the end of the generated history). */
  startTime: number;
  /** 1m candles of history generated before startTime. */
  historyCandles: number;
  csvReplay?: CsvReplaySpec[];
  spreadBps: number;
  bookLevels: number;
  /** Distance between synthetic book levels. */
  levelStepBps: number;
}

/** The price range a move swept: resting limit orders inside it fill. */
export interface PriceMove {
  symbol: string;
  low: number;
  high: number;
  price: number;
}

export interface BookLevels {
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
}

interface SymbolState {
  spec: SymbolSpec;
  rng: Rng;
  price: number;
  candles: Candle[];
  replay?: { rows: Candle[]; next: number };
}

/** Price model: a seeded random walk per symbol, or a replayed OHLCV CSV, advanced only by tick()/setPrice(). */
export class Market {
  private states = new Map<string, SymbolState>();
  private time = 0;
  private currentSeed: number;
  private readonly csvRows = new Map<string, { rows: Candle[]; warmup: number }>();

  constructor(private readonly opts: MarketOptions) {
    this.currentSeed = opts.seed;
    for (const spec of opts.csvReplay ?? []) {
      const text = spec.csv ?? (spec.path ? readFileSync(spec.path, 'utf8') : undefined);
      if (text === undefined) throw new Error(`csvReplay ${spec.symbol}: give path or csv`);
      if (!opts.symbols.some((s) => s.symbol === spec.symbol)) throw new Error(`csvReplay ${spec.symbol}: not one of the simulator's symbols`);
      const rows = parseOhlcvCsv(text);
      this.csvRows.set(spec.symbol, { rows, warmup: Math.min(Math.max(spec.warmup ?? 1, 1), rows.length) });
    }
    this.reset(opts.seed);
  }

  get seed(): number {
    return this.currentSeed;
  }

  reset(seed = this.currentSeed): void {
    this.currentSeed = seed;
    this.time = this.opts.startTime;
    this.states.clear();
    for (const spec of this.opts.symbols) {
      const replay = this.csvRows.get(spec.symbol);
      const state: SymbolState = replay
        ? this.replayState(spec, replay.rows, replay.warmup)
        : { spec, rng: childRng(seed, `walk:${spec.symbol}`), price: spec.price, candles: this.history(spec, seed) };
      this.states.set(spec.symbol, state);
    }
  }

  now(): number {
    return this.time;
  }

  symbols(): string[] {
    return [...this.states.keys()];
  }

  spec(symbol: string): SymbolSpec | undefined {
    return this.states.get(symbol)?.spec;
  }

  price(symbol: string): number {
    return this.state(symbol).price;
  }

  prices(): Record<string, number> {
    return Object.fromEntries([...this.states].map(([s, st]) => [s, st.price]));
  }

  /** Advances every symbol one step per call; returns what each step swept. */
  tick(steps = 1): PriceMove[] {
    const moves: PriceMove[] = [];
    for (let i = 0; i < steps; i++) {
      this.time += this.opts.tickMs;
      for (const st of this.states.values()) {
        const move = st.replay ? this.replayStep(st) : this.walkStep(st, this.time);
        if (move) moves.push(move);
      }
    }
    return moves;
  }

  setPrice(symbol: string, price: number): PriceMove {
    const st = this.state(symbol);
    const next = Math.max(roundTo(price, st.spec.tickSize), st.spec.tickSize);
    const prev = st.price;
    st.price = next;
    const last = st.candles.at(-1);
    if (last) {
      last.high = Math.max(last.high, next);
      last.low = Math.min(last.low, next);
      last.close = next;
    }
    return { symbol, low: Math.min(prev, next), high: Math.max(prev, next), price: next };
  }

  /** Candles of `timeframeMs`, oldest first: the newest `limit`, or the first `limit` from `since`. */
  candles(symbol: string, timeframeMs: number, q: { since?: number; until?: number; limit: number }): Candle[] {
    const st = this.state(symbol);
    const out: Candle[] = [];
    for (const c of st.candles) {
      const ts = Math.floor(c.ts / timeframeMs) * timeframeMs;
      const last = out.at(-1);
      if (last && last.ts === ts) {
        last.high = Math.max(last.high, c.high);
        last.low = Math.min(last.low, c.low);
        last.close = c.close;
        last.volume = clean(last.volume + c.volume);
      } else {
        out.push({ ...c, ts });
      }
    }
    const inRange = out.filter((c) => (q.since === undefined || c.ts >= q.since) && (q.until === undefined || c.ts <= q.until));
    return q.since !== undefined ? inRange.slice(0, q.limit) : inRange.slice(-q.limit);
  }

  stats24h(symbol: string): { open: number; high: number; low: number; volume: number; quoteVolume: number; openTime: number } {
    const st = this.state(symbol);
    const lastTs = st.candles.at(-1)?.ts ?? this.time;
    const day = st.candles.filter((c) => c.ts > lastTs - DAY_MS);
    const first = day[0];
    return {
      open: first?.open ?? st.price,
      openTime: first?.ts ?? lastTs,
      high: Math.max(st.price, ...day.map((c) => c.high)),
      low: Math.min(st.price, ...day.map((c) => c.low)),
      volume: clean(day.reduce((s, c) => s + c.volume, 0)),
      quoteVolume: clean(day.reduce((s, c) => s + c.volume * c.close, 0)),
    };
  }

  /** A synthetic book around the current price; market orders walk it, which is where slippage comes from. */
  book(symbol: string, depth = this.opts.bookLevels): BookLevels {
    const { spec, price } = this.state(symbol);
    const half = this.opts.spreadBps / 2 / 10_000;
    const step = this.opts.levelStepBps / 10_000;
    const bids: Array<[number, number]> = [];
    const asks: Array<[number, number]> = [];
    const levels = Math.min(depth, this.opts.bookLevels);
    for (let i = 0; i < levels; i++) {
      const qty = Math.max(roundTo(spec.bookLevelSize * (1 + i * 0.5), spec.stepSize), spec.stepSize);
      let ask = ceilTo(price * (1 + half) * (1 + i * step), spec.tickSize);
      const prevAsk = asks.at(-1)?.[0];
      if (ask <= price) ask = clean(price + spec.tickSize);
      if (prevAsk !== undefined && ask <= prevAsk) ask = clean(prevAsk + spec.tickSize);
      asks.push([ask, qty]);
      let bid = floorTo(price * (1 - half) * (1 - i * step), spec.tickSize);
      const prevBid = bids.at(-1)?.[0];
      if (bid >= price) bid = clean(price - spec.tickSize);
      if (prevBid !== undefined && bid >= prevBid) bid = clean(prevBid - spec.tickSize);
      if (bid > 0) bids.push([bid, qty]);
    }
    return { bids, asks };
  }

  private state(symbol: string): SymbolState {
    const st = this.states.get(symbol);
    if (!st) throw new Error(`unknown symbol ${symbol}`);
    return st;
  }

  private walkStep(st: SymbolState, time: number): PriceMove {
    const prev = st.price;
    const next = Math.max(roundTo(prev * Math.exp(st.spec.volatility * normal(st.rng)), st.spec.tickSize), st.spec.tickSize);
    const volume = roundTo(st.spec.bookLevelSize * (0.2 + st.rng()), st.spec.stepSize);
    st.price = next;
    appendToCandle(st.candles, time, prev, next, volume);
    return { symbol: st.spec.symbol, low: Math.min(prev, next), high: Math.max(prev, next), price: next };
  }

  private replayStep(st: SymbolState): PriceMove | undefined {
    const replay = st.replay;
    const row = replay?.rows[replay.next];
    if (!replay || !row) return undefined; // exhausted: the last price holds
    replay.next++;
    const prev = st.price;
    st.candles.push({ ...row });
    st.price = row.close;
    return { symbol: st.spec.symbol, low: Math.min(prev, row.low), high: Math.max(prev, row.high), price: row.close };
  }

  private replayState(spec: SymbolSpec, rows: Candle[], warmup: number): SymbolState {
    const shown = rows.slice(0, warmup).map((r) => ({ ...r }));
    return { spec, rng: childRng(0, spec.symbol), price: shown.at(-1)?.close ?? spec.price, candles: shown, replay: { rows, next: warmup } };
  }

  /** History walks backwards from the configured price, so the simulator starts exactly at spec.price. */
  private history(spec: SymbolSpec, seed: number): Candle[] {
    const stepsPerCandle = Math.max(1, Math.round(BASE_CANDLE_MS / this.opts.tickMs));
    const steps = Math.min(this.opts.historyCandles * stepsPerCandle, 500_000);
    const rng = childRng(seed, `history:${spec.symbol}`);
    const prices: number[] = [spec.price];
    for (let i = 0; i < steps; i++) {
      const later = prices[prices.length - 1] ?? spec.price;
      prices.push(Math.max(roundTo(later * Math.exp(-spec.volatility * normal(rng)), spec.tickSize), spec.tickSize));
    }
    prices.reverse();
    const candles: Candle[] = [];
    const t0 = this.opts.startTime - steps * this.opts.tickMs;
    for (let i = 1; i < prices.length; i++) {
      const volume = roundTo(spec.bookLevelSize * (0.2 + rng()), spec.stepSize);
      appendToCandle(candles, t0 + i * this.opts.tickMs, prices[i - 1] ?? spec.price, prices[i] ?? spec.price, volume);
    }
    if (candles.length === 0) candles.push({ ts: bucket(this.opts.startTime), open: spec.price, high: spec.price, low: spec.price, close: spec.price, volume: 0 });
    return candles;
  }
}

function bucket(time: number): number {
  return Math.floor(time / BASE_CANDLE_MS) * BASE_CANDLE_MS;
}

function appendToCandle(candles: Candle[], time: number, prev: number, next: number, volume: number): void {
  const ts = bucket(time);
  const last = candles.at(-1);
  if (!last || ts > last.ts) {
    candles.push({ ts, open: prev, high: Math.max(prev, next), low: Math.min(prev, next), close: next, volume });
    return;
  }
  last.high = Math.max(last.high, next);
  last.low = Math.min(last.low, next);
  last.close = next;
  last.volume = clean(last.volume + volume);
}
