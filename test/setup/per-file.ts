import { beforeAll, inject } from 'vitest';

// Each test file starts from an empty AWS emulator.
beforeAll(async () => {
  const res = await fetch(`${inject('motoEndpoint')}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
});
