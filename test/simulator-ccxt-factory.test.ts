import { AuthenticationError } from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../adapters/exchange/ccxt-factory';
import { CCXT_TIMEOUT_MS, REQUEST_WINDOW_MS } from '../domain/order-timing';
import { VENUES, type Simulator } from '../simulator/index';
import { simulatorOptions, startSimulator, testKey } from './helpers/simulator';

function urlsOf(tree: unknown): string[] {
  if (typeof tree === 'string') return [tree];
  if (tree && typeof tree === 'object') return Object.values(tree).flatMap(urlsOf);
  return [];
}

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(simulatorOptions());
});
afterAll(() => sim.close());

describe('createCcxtExchange', () => {
  it.each(VENUES)('%s: re-points every REST URL to the base URL and configures spot only', (venue) => {
    const ex = createCcxtExchange(venue, { baseUrl: 'http://127.0.0.1:9/', credentials: { apiKey: 'k', secret: 's', passphrase: 'p' }, enableRateLimit: true, timeoutMs: 1234 });
    const urls = urlsOf(ex.urls.api);
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) {
      expect(u.startsWith('http://127.0.0.1:9')).toBe(true);
      expect(u).not.toMatch(/binance\.com|okx\.com|bybit\.com|\{hostname\}|\/\/$/);
    }
    if (venue === 'binance') expect(urls).toContain('http://127.0.0.1:9/api/v3'); // paths after the host are kept
    expect(ex.options['defaultType']).toBe('spot');
    expect((ex.options['fetchMarkets'] as { types: string[] }).types).toEqual(['spot']);
    expect(ex.timeout).toBe(1234);
    expect(ex.enableRateLimit).toBe(true);
    expect(ex.verbose).toBe(false);
    if (venue === 'okx') expect(ex.password).toBe('p');
  });

  it('leaves the venue hosts alone without a base URL', () => {
    expect(urlsOf(createCcxtExchange('binance', { enableRateLimit: true }).urls.api)).toContain('https://api.binance.com/api/v3');
    expect(urlsOf(createCcxtExchange('okx', { enableRateLimit: true }).urls.api)).toContain('https://{hostname}');
    expect(urlsOf(createCcxtExchange('bybit', { enableRateLimit: true }).urls.api)).toContain('https://api.{hostname}');
  });

  it.each(VENUES)('%s: loadMarkets and the first private call touch only endpoints the simulator serves', async (venue) => {
    const key = testKey(venue);
    sim.registerKey(key);
    const seen: string[] = [];
    const ex = createCcxtExchange(venue, { baseUrl: sim.url, credentials: key, enableRateLimit: false });
    const fetch = ex.fetch.bind(ex);
    ex.fetch = (url: string, method?: string, headers?: unknown, body?: unknown) => {
      seen.push(`${method} ${new URL(url).pathname}`);
      return fetch(url, method, headers, body);
    };
    await ex.loadMarkets();
    await ex.fetchBalance();
    const expected = {
      binance: ['GET /api/v3/exchangeInfo', 'GET /api/v3/account'],
      okx: ['GET /api/v5/public/instruments', 'GET /api/v5/account/balance'],
      bybit: ['GET /v5/market/instruments-info', 'GET /v5/account/wallet-balance'],
    };
    expect(seen).toEqual(expected[venue]);
  });

  it.each(VENUES)("%s: every signed order request carries the venue's window, and ccxt's timeout outlasts it", async (venue) => {
    const key = testKey(venue, { account: `win${venue}` });
    sim.registerKey(key);
    sim.setBalance(venue, key.account, 'USDT', 10_000);
    const ex = createCcxtExchange(venue, { baseUrl: sim.url, credentials: key, enableRateLimit: false });
    expect(ex.timeout).toBe(CCXT_TIMEOUT_MS);
    expect(CCXT_TIMEOUT_MS).toBeGreaterThan(REQUEST_WINDOW_MS[venue]);
    const sent: Array<{ path: string; headers: Record<string, string>; query: string; body: string }> = [];
    const fetch = ex.fetch.bind(ex);
    ex.fetch = (url: string, method?: string, headers?: unknown, body?: unknown) => {
      const u = new URL(url);
      sent.push({ path: `${method} ${u.pathname}`, headers: (headers ?? {}) as Record<string, string>, query: u.search, body: typeof body === 'string' ? body : '' });
      return fetch(url, method, headers, body);
    };
    await ex.loadMarkets();
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 50_000, { clientOrderId: `win${venue}1` });
    const order = sent.find((r) => r.path.startsWith('POST'))!;
    const window = REQUEST_WINDOW_MS[venue];
    if (venue === 'binance') expect(new URLSearchParams(order.query + '&' + order.body).get('recvWindow')).toBe(String(window));
    if (venue === 'bybit') expect(order.headers['X-BAPI-RECV-WINDOW']).toBe(String(window));
    if (venue === 'okx') expect(Number(order.headers['expTime'])).toBe(Date.parse(order.headers['OK-ACCESS-TIMESTAMP']!) + window);
  });

  it.each(VENUES)("%s: testnet mode is the venue's own sandbox (its testnet hosts, okx's demo header), and a base URL re-points even those", async (venue) => {
    const key = testKey(venue, { account: `tn${venue}` });
    const testnet = createCcxtExchange(venue, { credentials: key, enableRateLimit: true, sandbox: true });
    const hosts = { binance: 'https://testnet.binance.vision/api/v3', okx: 'https://{hostname}', bybit: 'https://api-testnet.{hostname}' };
    expect(urlsOf(testnet.urls.api)).toContain(hosts[venue]);
    // The live hosts are gone: a testnet account cannot reach the real venue by a URL ccxt kept.
    expect(urlsOf(testnet.urls.api).some((u) => /\/\/api\.binance\.com|\/\/api\.\{hostname\}/.test(u))).toBe(false);
    if (venue === 'okx') expect(testnet.headers['x-simulated-trading']).toBe('1');
    expect(createCcxtExchange(venue, { credentials: key, enableRateLimit: true }).headers['x-simulated-trading']).toBeUndefined();

    // The simulator standing in for the testnet: every URL re-pointed, okx's header still sent (with a demo-trading key).
    sim.registerKey({ ...key, ...(venue === 'okx' ? { demo: true } : {}) });
    const seen: Array<Record<string, string>> = [];
    const standIn = createCcxtExchange(venue, { baseUrl: sim.url, credentials: key, enableRateLimit: false, sandbox: true });
    for (const u of urlsOf(standIn.urls.api)) expect(u.startsWith(sim.url.replace(/\/+$/, ''))).toBe(true);
    const fetch = standIn.fetch.bind(standIn);
    standIn.fetch = (url: string, method?: string, headers?: unknown, body?: unknown) => {
      // ccxt's fetch merges the exchange's own headers (okx's demo header lives there) into each request's.
      seen.push({ ...(standIn.headers as Record<string, string>), ...((headers ?? {}) as Record<string, string>) });
      return fetch(url, method, headers, body);
    };
    await standIn.loadMarkets();
    await standIn.fetchBalance();
    expect(seen.length).toBeGreaterThan(0);
    for (const h of seen) expect(h['x-simulated-trading']).toBe(venue === 'okx' ? '1' : undefined);
  });

  it("okx's demo trading is its own environment: a demo key works only with the demo header, a live key only without", async () => {
    const demo = testKey('okx', { account: 'okxdemo', apiKey: 'okxDemoKey0001', demo: true });
    const live = testKey('okx', { account: 'okxlive', apiKey: 'okxLiveKey0001' });
    sim.registerKey(demo);
    sim.registerKey(live);
    const client = (k: typeof demo, sandbox: boolean) => createCcxtExchange('okx', { baseUrl: sim.url, credentials: k, enableRateLimit: false, sandbox });
    await client(demo, true).fetchBalance();
    await client(live, false).fetchBalance();
    // A live key on a testnet account, or a testnet key on a live one: refused, never traded on the other environment.
    for (const [k, sandbox] of [[live, true], [demo, false]] as const) {
      const err = await client(k, sandbox).fetchBalance().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(String(err)).toContain('50101');
    }
  });
});


