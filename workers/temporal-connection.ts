import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { temporalTls } from '../clients/connect';
import type { WardenConfig } from '../config/schema';

export function connectWorker(t: WardenConfig['temporal']): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: t.address };
  const tls = temporalTls(t);
  if (tls) options.tls = tls;
  return NativeConnection.connect(options);
}
