/**
 * What a browser test of the Temporal Web UI needs: Debian's Chromium driven by
 * playwright-core, and a dev server of its own WITH the UI (the suite's shared
 * server runs headless) with a real desk worker on it.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../../adapters/free-port';
import { startProvisionedDevServer, type DevServer } from '../../adapters/temporal-dev-server';
import { temporalHarness, type TemporalHarness } from './temporal';

/** Debian's build (scripts/ensure-chromium.sh): Playwright's own browser download fails on our closed network. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags known to work here (.library polyglot notes). Without the
 * background-networking ones Chromium keeps dialling Google's hosts, which the
 * closed network refuses. Playwright already gives every launch a fresh, empty
 * profile directory and refuses a --user-data-dir in args, so none is passed.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails (never skips) with the fix when the browser is missing. */
export function requireChromium(): string {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return CHROMIUM_PATH;
  } catch {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: run \`sudo bash scripts/ensure-chromium.sh\` (installs Debian's chromium package), then rerun the test.`);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireChromium(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Where tests leave files for a human to look at (gitignored). */
export function artifactPath(name: string): string {
  const dir = join(process.cwd(), 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export interface UiTemporal extends TemporalHarness {
  server: DevServer;
  uiUrl: string;
}

/** A dev server with the Web UI on a free port and its own db in a temp dir, with the usual test harness on it. */
export async function startUiTemporal(): Promise<UiTemporal> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-ui-'));
  const server = await startProvisionedDevServer({ uiPort: await freePort(), dbFile: join(dir, 'temporal.db') });
  const harness = await temporalHarness({ address: server.address, namespace: server.namespace });
  return {
    ...harness,
    server,
    uiUrl: server.uiUrl!,
    async close() {
      await harness.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
