#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx warden` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../operator/cli.ts');
await main(process.argv);
