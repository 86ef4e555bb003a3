import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtGatewayProvider } from '../adapters/exchange/provider';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import { LocalFileSecretSource } from '../adapters/secrets/sources';
import { CachedSecretsStore } from '../adapters/secrets/store';
import { DEFAULT_CONFIG_PATH, loadConfig, type LoadedConfig } from '../config/load';
import type { Simulator } from '../simulator';
import { startPaperVenue } from '../workers/paper-venue';
import { sessionInputFor, startSession } from '../workers/sessions';
import { statusQuery, type SessionInput, type SessionStatus } from '../contracts/session';
import { openTempTrail, tempDir } from './helpers/audit';
import { temporalHarness, type TemporalHarness } from './helpers/temporal';
import { waitFor } from './helpers/wait';

/**
 * `npm start`'s own desk, minus the dev server it would boot: the embedded
 * config/paper.yaml, the paper venue `warden dev` starts (simulator, paper keys
 * and funding, prices moving every second), and a session per configured account
 * on a real worker. Only the tick is shorter, so a few ticks take seconds.
 */
const TICK_SECONDS = 1;
const TICKS_OBSERVED = 6;

let t: TemporalHarness;
let sim: Simulator;
let loaded: LoadedConfig;
let inputs: SessionInput[];

beforeAll(async () => {
  const embedded = loadConfig(DEFAULT_CONFIG_PATH);
  const venue = await startPaperVenue({ ...embedded, stateDir: tempDir('warden-paper-') }, { port: 0 });
  sim = venue.sim;
  loaded = venue.loaded;
  const { config } = loaded;
  const audit = await openTempTrail();
  // What startDeskWorker reads the paper keys with.
  const secrets = new CachedSecretsStore({
    source: new LocalFileSecretSource(join(loaded.stateDir, PAPER_SECRETS_FILE), config.profile),
    prefix: config.aws.secretsPrefix,
    ttlSeconds: config.secrets.cacheTtlSeconds,
    audit,
    accessedBy: 'test',
  });
  t = await temporalHarness();
  await t.startWorker({ gateways: new CcxtGatewayProvider({ secrets, accounts: config.exchanges, enableRateLimit: false, timeoutMs: 3000 }), audit, secrets });
  inputs = config.exchanges.flatMap((account) => {
    const input = sessionInputFor(config, account);
    return input ? [{ ...input, tickSeconds: TICK_SECONDS }] : [];
  });
  for (const input of inputs) await startSession(t.client, t.taskQueue, input);
});

afterAll(async () => {
  for (const input of inputs ?? []) await t.client.workflow.getHandle(`session/${input.exchange}/${input.account}`).terminate('test over').catch(() => undefined);
  await t?.close();
  await sim?.close();
});

/** A refusal without its figures ("BTC would be 60.12% ..." and "60.11% ..." are the same refusal). */
const refusalKind = (r: string) => r.replace(/\d+(\.\d+)?/g, '#');

describe('the paper desk npm start runs (config/paper.yaml on the paper venue)', () => {
  it('every session places orders within its first minute and has no refusal that repeats on every tick', async () => {
    expect(inputs.map((i) => `${i.exchange}/${i.account}`)).toEqual(['binance/paper', 'okx/paper', 'bybit/paper']);
    // Per session: the refusals of each tick seen (the last look at a tick wins), and the tick its first order was on.
    const seen = new Map<string, { refusals: Map<number, string[]>; firstOrderTick?: number }>(inputs.map((i) => [`${i.exchange}/${i.account}`, { refusals: new Map() }]));
    const look = async (): Promise<SessionStatus[]> => {
      const statuses = await Promise.all(inputs.map((i) => t.client.workflow.getHandle(`session/${i.exchange}/${i.account}`).query(statusQuery)));
      for (const st of statuses) {
        const s = seen.get(st.session)!;
        if (st.ticks > 0) s.refusals.set(st.ticks, st.lastRefusals);
        if (st.orderSeq > 0) s.firstOrderTick ??= st.ticks;
      }
      return statuses;
    };
    const last = await waitFor(look, (sts) => sts.every((st) => st.ticks >= TICKS_OBSERVED), 40_000, `${TICKS_OBSERVED} ticks of every session`);

    const ticksPerMinute = 60 / loaded.config.sessions.tickSeconds;
    for (const st of last) {
      const s = seen.get(st.session)!;
      const ticks = [...s.refusals.keys()].sort((a, b) => a - b);
      const everyTick = [...new Set(ticks.flatMap((n) => s.refusals.get(n)!.map(refusalKind)))].filter((kind) =>
        ticks.every((n) => s.refusals.get(n)!.map(refusalKind).includes(kind)),
      );
      const [exchange, account] = st.session.split('/') as [SessionInput['exchange'], string];
      expect({
        session: st.session,
        mode: st.mode,
        breaker: st.breaker.status,
        ordersWithinFirstMinute: s.firstOrderTick !== undefined && s.firstOrderTick <= ticksPerMinute,
        ordersAtVenue: sim.orders(exchange, account).length > 0,
        refusedOnEveryTick: everyTick,
      }).toEqual({ session: st.session, mode: 'trading', breaker: 'closed', ordersWithinFirstMinute: true, ordersAtVenue: true, refusedOnEveryTick: [] });
      expect(ticks.length).toBeGreaterThanOrEqual(3);
    }
  });
});
