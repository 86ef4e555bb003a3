import { readFileSync } from 'node:fs';
import { createTransport } from 'nodemailer';
import type { EmailConfig } from '../../config/schema';
import { describeEscalation, incidentOfAlert, type Alert } from '../../domain/severity';
import { registerSecret, sanitize } from '../redact';
import type { SecretsStore } from '../secrets/types';
import type { AlertChannel } from './router';
import { errorMessage } from '../../domain/error-message';
import { formatDuration } from '../../domain/duration';

/** What the message says: the alert and what to do, never a credential or a key. */
export function alertEmail(text: string, alert: Alert): { subject: string; text: string } {
  const incident = incidentOfAlert(alert);
  const lines = [
    sanitize(text),
    '',
    `Condition: ${alert.title}`,
    `Severity: ${alert.severity}${alert.incident ? ` (opens ${alert.incident})` : ''}`,
    `Respond within: ${formatDuration(alert.respondWithinMs)}`,
    `Observed at: ${alert.at}`,
    `Dedup key: ${alert.dedupKey}`,
    ...(incident ? [`Incident: ${incident} (acknowledge with: warden incident ack ${incident})`] : []),
    ...(alert.escalateTo?.length ? [`Escalated to: ${describeEscalation(alert.escalateTo)}`] : []),
  ];
  return { subject: `[Warden] ${alert.severity}: ${alert.title}`.slice(0, 200), text: `${lines.join('\n')}\n` };
}

export interface EmailChannelOptions {
  secrets: Pick<SecretsStore, 'getSmtpCredentials'>;
  config: EmailConfig;
  /** PEM of the CA for the server's certificate; defaults to config.caFile's contents. */
  ca?: string;
}

/**
 * Sends alerts over SMTP submission with STARTTLS required (nodemailer's
 * `requireTLS`: no credential and no alert ever crosses in plain text).
 * Credentials are read from the secrets store per delivery and a transport is
 * built for each message, so a rotated password is used once the store's cache
 * expires. Every step has a timeout: a dead relay fails this channel in seconds
 * and the alert activity's durable retry tries it again later.
 */
export class EmailAlertChannel implements AlertChannel {
  readonly name = 'email';
  private readonly ca?: string;

  constructor(private readonly opts: EmailChannelOptions) {
    this.ca = opts.ca ?? (opts.config.caFile ? readFileSync(opts.config.caFile, 'utf8') : undefined);
  }

  async deliver(text: string, alert: Alert): Promise<void> {
    const { host, port, from, to, timeoutSeconds } = this.opts.config;
    const ms = timeoutSeconds * 1000;
    try {
      const creds = await this.opts.secrets.getSmtpCredentials();
      registerSecret(creds.password);
      const transport = createTransport({
        host,
        port,
        secure: false,
        requireTLS: true,
        auth: { user: creds.username, pass: creds.password },
        tls: { minVersion: 'TLSv1.2', ...(this.ca ? { ca: this.ca } : {}) },
        connectionTimeout: ms,
        greetingTimeout: ms,
        socketTimeout: ms,
        // nodemailer's protocol log would print the AUTH exchange.
        logger: false,
        debug: false,
      });
      try {
        const mail = alertEmail(text, alert);
        // An escalation also goes to the people it names, beside the usual list.
        const cc = (alert.escalateTo ?? []).flatMap((c) => (c.email && !to.includes(c.email) ? [c.email] : []));
        await transport.sendMail({ from, to, ...(cc.length ? { cc } : {}), subject: mail.subject, text: mail.text, priority: alert.severity === 'CRITICAL' ? 'high' : 'normal', headers: { 'X-Warden-Dedup-Key': alert.dedupKey } });
      } finally {
        transport.close();
      }
    } catch (err) {
      const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? ` (${err.code})` : '';
      throw new Error(sanitize(`email: alert ${alert.dedupKey} not delivered: ${errorMessage(err)}${code}`));
    }
  }
}
