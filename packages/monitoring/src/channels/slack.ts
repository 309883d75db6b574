import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import type { Notification, NotificationChannel } from '../alerts/manager.js';
import { RetryableError, retryAfterMs, withRetries, type RetryOptions } from './retry.js';

/** What Slack's documented incoming-webhook error bodies mean, and what to do about them. */
const SLACK_ERRORS: Record<string, string> = {
  invalid_payload: 'Slack refused the message as malformed',
  action_prohibited: 'the workspace admin restricted posting through this webhook',
  no_service: 'the webhook URL is not valid (disabled, removed or mistyped); make a new one',
  no_active_hooks: 'the webhook is disabled',
  channel_is_archived: 'the channel of this webhook is archived',
  posting_to_general_channel_denied: 'only admins may post to this channel',
  channel_not_found: 'the channel of this webhook no longer exists',
  no_text: 'the message had no text',
  invalid_token: 'the webhook token is not valid',
};

export interface SlackChannelOptions {
  name: string;
  /** The incoming-webhook URL (a secret: whoever has it can post). */
  url: string;
  username?: string;
  iconEmoji?: string;
  retry?: RetryOptions;
}

const COLOURS = { firing: '#d93f0b', resolved: '#2eb67d', digest: '#439fe0' } as const;

/**
 * Posts notifications to a Slack incoming webhook through `@slack/webhook`. A 429 is tried again
 * after its `Retry-After`, a 5xx or a dropped connection with back-off; Slack's other answers
 * (400 `invalid_payload`, 403 `action_prohibited`, 404 `no_service`, 410 `channel_is_archived`)
 * fail at once with what they mean. The URL never appears in an error message.
 */
export class SlackChannel implements NotificationChannel {
  readonly name: string;

  constructor(private readonly options: SlackChannelOptions) {
    this.name = options.name;
  }

  /** A webhook client whose fetch keeps the answer's `Retry-After` (the library's error keeps only the body). */
  private client(seen: { retryAfter: string | null }): IncomingWebhook {
    return new IncomingWebhook(this.options.url, {
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.iconEmoji ? { icon_emoji: this.options.iconEmoji } : {}),
      timeout: 10_000,
      retryConfig: { retries: 0 },
      fetch: async (url, init) => {
        const response = await fetch(url, init as RequestInit);
        seen.retryAfter = response.headers.get('retry-after');
        return response;
      },
    });
  }

  async send(notification: Notification): Promise<void> {
    const message = {
      text: notification.title,
      attachments: [{ color: COLOURS[notification.kind], text: notification.text, footer: `llm-lab monitor · ${notification.key}`, ts: String(Math.floor(notification.at / 1000)) }],
    };
    await withRetries(async () => {
      const seen = { retryAfter: null as string | null };
      try {
        await this.client(seen).send(message);
      } catch (error) {
        throw this.explain(error, seen.retryAfter);
      }
    }, this.options.retry);
  }

  private explain(error: unknown, retryAfter: string | null): Error {
    if (error instanceof IncomingWebhookHTTPError) {
      const body = error.body.trim();
      const meaning = SLACK_ERRORS[body] ?? `Slack answered ${error.statusCode} ${body.slice(0, 200)}`;
      const text = `Slack webhook ${this.name}: ${meaning} (HTTP ${error.statusCode}${body ? ` ${body.slice(0, 80)}` : ''})`;
      if (error.statusCode === 429) {
        return new RetryableError(text, retryAfterMs(retryAfter));
      }
      if (error.statusCode >= 500) return new RetryableError(text);
      return new Error(text);
    }
    if (error instanceof IncomingWebhookRequestError) return new RetryableError(`Slack webhook ${this.name}: could not reach Slack (${error.original.message.replace(this.options.url, '<webhook url>')})`);
    return error instanceof Error ? error : new Error(String(error));
  }
}
