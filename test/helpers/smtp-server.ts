/**
 * Runs a real SMTP server (Python's aiosmtpd, test/helpers/smtp-server.py) on
 * loopback with STARTTLS required and AUTH, on a self-signed certificate made
 * with openssl for this test run. `stop()` and `start()` again on the same port
 * model a relay outage. Installed by scripts/ensure-aiosmtpd.sh.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { freePort } from '../../adapters/free-port';
import { tempDir } from './audit';

const Line = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready'), port: z.number() }),
  z.object({ kind: z.literal('message'), subject: z.string(), body: z.string(), from: z.string(), to: z.array(z.string()), tls: z.boolean(), authenticated: z.boolean(), data: z.string() }),
]);
export type ReceivedMail = Extract<z.infer<typeof Line>, { kind: 'message' }>;

export const SMTP_USER = 'warden-alerts';
/** Shaped like a generated password, so a leak would be visible in any text. */
export const SMTP_PASSWORD = 'smtp-Pa55word-for-warden-tests-7f3a9c';

export interface SmtpServer {
  host: string;
  port: number;
  /** The self-signed certificate, as the CA file a config would name. */
  caFile: string;
  readonly messages: readonly ReceivedMail[];
  waitForMessage(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtpServer(): Promise<SmtpServer> {
  const dir = tempDir('warden-smtp-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const port = await freePort();
  const messages: ReceivedMail[] = [];
  let child: ChildProcess | undefined;

  const server: SmtpServer = {
    host: '127.0.0.1',
    port,
    caFile: cert,
    messages,
    async waitForMessage(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = messages.find(match);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`SMTP server: no matching message in ${timeoutMs} ms (${messages.length} received)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    start() {
      const proc = spawn('python3', [join(import.meta.dirname, 'smtp-server.py'), String(port), cert, key, SMTP_USER, SMTP_PASSWORD], { stdio: ['pipe', 'pipe', 'pipe'] });
      child = proc;
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise<void>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`smtp-server.py exited (${code}) before it was ready: ${stderr.slice(-2000)} (run scripts/ensure-aiosmtpd.sh)`)));
        createInterface({ input: proc.stdout }).on('line', (l) => {
          const parsed = Line.safeParse(JSON.parse(l));
          if (!parsed.success) return;
          if (parsed.data.kind === 'ready') resolve();
          else messages.push(parsed.data);
        });
      });
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      // Closing stdin stops the controller cleanly; the kill is for a server that hangs.
      proc.stdin?.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  await server.start();
  return server;
}
