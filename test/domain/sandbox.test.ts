import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, inject } from 'vitest';
import { exercise } from './sandbox/exercise';
import type { domainExerciseWorkflow } from './sandbox/workflows';

const DOMAIN_DIR = fileURLToPath(new URL('../../domain/', import.meta.url));
const silent = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('domain purity', () => {
  // search-attributes.ts is someone else's constant table; the rest must be pure rules.
  const files = readdirSync(DOMAIN_DIR).filter((f) => f.endsWith('.ts') && f !== 'search-attributes.ts');

  it.each(files)('%s has no clock, randomness, I/O or any', (file) => {
    const src = readFileSync(join(DOMAIN_DIR, file), 'utf8');
    expect(src).not.toMatch(/Date\.now|new Date\(\)|Math\.random|performance\.now|process\.|setTimeout|setInterval|fetch\(|require\(/);
    expect(src).not.toMatch(/from ['"](node:|fs|path|crypto|os|http|https|net|child_process)/);
    expect(src).not.toMatch(/:\s*any\b|<any>|as any\b|any\[\]/);
    // Only other domain files and zod (config/ builds its schemas on domain's types, not the other way).
    for (const [, spec] of src.matchAll(/from ['"]([^'"]+)['"]/g)) expect(spec).toMatch(/^(\.\/[a-z-]+|zod)$/);
  });

  it('covers every domain file in the list above', () => {
    expect(files.sort()).toEqual([
      'circuit-breaker.ts',
      'client-order-id.ts',
      'dead-mans-switch.ts',
      'duration.ts',
      'error-message.ts',
      'fill-ledger.ts',
      'incident-procedure.ts',
      'key-audit.ts',
      'market.ts',
      'operator-input.ts',
      'operator-wait.ts',
      'order-timing.ts',
      'portfolio.ts',
      'preflight.ts',
      'reconciliation.ts',
      'risk.ts',
      'rotation-procedure.ts',
      'session-machine.ts',
      'severity.ts',
      'strategy.ts',
      'trading-state.ts',
      'venue-clock.ts',
      'wallet-tiers.ts',
    ]);
  });
});

describe('domain inside the Temporal workflow sandbox', () => {
  it('bundles, runs on a real worker and gives the same results as plain Node', async () => {
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    const taskQueue = `domain-${randomUUID()}`;
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./sandbox/workflows.ts', import.meta.url)), logger: silent });
    const nativeConnection = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const worker = await Worker.create({ connection: nativeConnection, namespace, taskQueue, workflowBundle });
    const nowMs = Date.parse('2025-01-15T12:00:00.000Z');
    try {
      const result = await worker.runUntil(
        new Client({ connection, namespace }).workflow.execute<typeof domainExerciseWorkflow>('domainExerciseWorkflow', {
          taskQueue,
          workflowId: `domain-exercise-${taskQueue}`,
          args: [nowMs],
        }),
      );
      const expected = exercise(nowMs);
      expect(result).toEqual(expected);
      // And the exercise is not vacuous.
      expect(expected.decision.intents).toHaveLength(1);
      expect(expected.checks).toEqual([{ ok: true }]);
      expect(expected.grid.intents.length).toBeGreaterThan(0);
      expect(expected.breaker.status).toBe('open');
      expect(expected.audit).toContain('🚨 CRITICAL: Withdrawal permission enabled on Bybit! Disable immediately.');
      expect(expected.validators).toEqual(['accepted', expect.stringMatching(/^reference: must be 3-128 /), expect.stringMatching(/^amountUsd: /), 'by: an operator id is required']);
      expect(expected.procedures.incident.state.step).toBe('awaiting_containment_decision');
      expect(expected.procedures.rotation.state.status).toBe('promoting');
    } finally {
      await nativeConnection.close();
      await connection.close();
    }
  });
});
