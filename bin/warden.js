#!/usr/bin/env node
// The CLI runs as compiled JavaScript (dist/, built by `npm install`), so a command
// starts in tens of milliseconds; a source newer than the build triggers a rebuild.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from './build-cli.mjs';

const { main } = await import(pathToFileURL(await ensureBuilt()).href);
await main(process.argv);
