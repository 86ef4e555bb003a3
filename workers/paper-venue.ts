import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { PAPER_SECRETS_FILE } from '../adapters/secrets';
import { exchangeSecretName } from '../adapters/secrets/types';
import { DEFAULT_SIM_PORT, PAPER_ACCOUNT, registerPaperKeys, startSimulator, type PaperKeys, type Simulator } from '../simulator';

/**
 * The paper desk's venue: the simulator on its usual port, the paper keys kept
 * in the state directory's secrets file (so a restart keeps the same keys), and
 * every paper account without a baseUrl pointed at it.
 */
export async function startPaperVenue(loaded: LoadedConfig, opts: { port?: number } = {}): Promise<{ sim: Simulator; loaded: LoadedConfig }> {
  const sim = await startSimulator({ port: opts.port ?? DEFAULT_SIM_PORT, seed: 1, tickMs: 1000, autoTickMs: 1000 });
  const file = join(loaded.stateDir, PAPER_SECRETS_FILE);
  const stored: Record<string, { api_key: string; secret: string; passphrase?: string }> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const prefix = loaded.config.aws.secretsPrefix;
  const previous: Partial<PaperKeys> = {};
  for (const venue of ['binance', 'okx', 'bybit'] as const) {
    const s = stored[exchangeSecretName(prefix, venue, PAPER_ACCOUNT, 'trading')];
    if (s) previous[venue] = { apiKey: s.api_key, secret: s.secret, passphrase: s.passphrase };
  }
  const keys = registerPaperKeys(sim, { keys: previous });
  const now = new Date().toISOString();
  for (const venue of ['binance', 'okx', 'bybit'] as const) {
    const k = keys[venue];
    stored[exchangeSecretName(prefix, venue, PAPER_ACCOUNT, 'trading')] = {
      api_key: k.apiKey,
      secret: k.secret,
      ...(k.passphrase ? { passphrase: k.passphrase } : {}),
      ip_whitelist: ['127.0.0.1'],
      permissions: { read: true, trade: true, withdraw: false, transfer: false },
      created_at: (stored[exchangeSecretName(prefix, venue, PAPER_ACCOUNT, 'trading')] as { created_at?: string } | undefined)?.created_at ?? now,
    } as (typeof stored)[string];
  }
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  const exchanges = loaded.config.exchanges.map((x) => (x.baseUrl ? x : { ...x, baseUrl: sim.url }));
  return { sim, loaded: { ...loaded, config: { ...loaded.config, exchanges } } };
}
