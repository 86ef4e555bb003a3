import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { WardenConfig } from '../config/schema';

type TemporalConfig = WardenConfig['temporal'];

function tlsOptions(t: TemporalConfig) {
  if (!t.tls.enabled) return undefined;
  return {
    serverNameOverride: t.tls.serverName,
    serverRootCACertificate: t.tls.caFile ? readFileSync(t.tls.caFile) : undefined,
    clientCertPair:
      t.tls.certFile && t.tls.keyFile ? { crt: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } : undefined,
  };
}

export async function connectClient(t: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: t.address, tls: tlsOptions(t) });
  return new Client({ connection, namespace: t.namespace });
}

export function connectWorker(t: TemporalConfig): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: t.address };
  const tls = tlsOptions(t);
  if (tls) options.tls = tls;
  return NativeConnection.connect(options);
}
