import nodemailer, { type Transporter } from 'nodemailer';
import type { Notification, NotificationChannel } from '../alerts/manager.js';
import { RetryableError, withRetries, type RetryOptions } from './retry.js';

export interface EmailChannelOptions {
  name: string;
  host: string;
  port?: number;
  secure?: boolean;
  user?: string;
  /** The SMTP password (resolved from its reference; never in the config). */
  password?: string;
  allowSelfSigned?: boolean;
  from: string;
  to: string[];
  retry?: RetryOptions;
}

/**
 * Sends notifications as e-mail over SMTP with `nodemailer` (STARTTLS when the server offers it,
 * or TLS from the start with `secure`; AUTH when a user is given). A temporary SMTP failure (a 4xx
 * reply, a dropped connection) is tried again with back-off; a permanent one (5xx: a refused
 * login or recipient) fails at once.
 */
export class EmailChannel implements NotificationChannel {
  readonly name: string;
  private readonly transport: Transporter;

  constructor(private readonly options: EmailChannelOptions) {
    this.name = options.name;
    this.transport = nodemailer.createTransport({
      host: options.host,
      port: options.port ?? (options.secure ? 465 : 587),
      secure: options.secure ?? false,
      ...(options.user !== undefined ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
      ...(options.allowSelfSigned ? { tls: { rejectUnauthorized: false } } : {}),
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  }

  async send(notification: Notification): Promise<void> {
    await withRetries(async () => {
      try {
        await this.transport.sendMail({
          from: this.options.from,
          to: this.options.to,
          subject: notification.title,
          text: `${notification.text}\n\nincident: ${notification.key}\nstarted: ${new Date(notification.startedAt).toISOString()}${notification.resolvedAt !== undefined ? `\nresolved: ${new Date(notification.resolvedAt).toISOString()}` : ''}\n\n-- llm-lab monitor\n`,
          headers: { 'X-LLM-Lab-Incident': notification.key, 'X-LLM-Lab-Transition': notification.kind },
        });
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        const text = `e-mail channel ${this.name}: ${(error as Error).message}`;
        if (code === undefined || (code >= 400 && code < 500)) throw new RetryableError(text);
        throw new Error(code === 535 ? `${text} (the SMTP server refused the login: check the user and the password's variable)` : text);
      }
    }, this.options.retry);
  }

  close(): void {
    this.transport.close();
  }
}
