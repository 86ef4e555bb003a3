import { afterAll, beforeAll, inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';

// Each test file starts from an empty AWS emulator.
beforeAll(async () => {
  const res = await fetch(`${inject('motoEndpoint')}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
});

// Files share one Temporal server, and a file's workers die with it: a session it left
// running would wait forever for an Update from the next file (an incident's "stop every
// session", say). Each file leaves no running workflow behind.
afterAll(async () => {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const client = new Client({ connection, namespace: inject('temporalNamespace') });
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      await client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('test file finished')
        .catch(() => undefined); // already closed meanwhile
    }
  } finally {
    await connection.close();
  }
}, 60_000);
