import { hostname } from 'node:os';

/** `<pid>@<host>`: names a worker in activity results and secret reads, so sessions can see a failover. */
export function defaultWorkerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}
