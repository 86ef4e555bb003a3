import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { WardenConfig } from '../config/schema';

type TemporalConfig = WardenConfig['temporal'];

/** The TLS options both the client and the worker connection take (mTLS client certs in production). */
export function temporalTls(t: TemporalConfig): TLSConfig | undefined {
  if (!t.tls.enabled) return undefined;
  return {
    serverNameOverride: t.tls.serverName,
    serverRootCACertificate: t.tls.caFile ? readFileSync(t.tls.caFile) : undefined,
    clientCertPair:
      t.tls.certFile && t.tls.keyFile ? { crt: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } : undefined,
  };
}

/** A Temporal client from `@temporalio/client` alone, so operator commands never load the worker's native module. */
export async function connectClient(t: TemporalConfig, opts: { connectTimeoutMs?: number } = {}): Promise<Client> {
  const connection = await Connection.connect({ address: t.address, tls: temporalTls(t), connectTimeout: opts.connectTimeoutMs ?? 5_000 });
  return new Client({ connection, namespace: t.namespace });
}
