import type { NotificationChannel } from '../alerts/manager.js';
import type { ChannelConfig } from '../config.js';
import { EmailChannel } from './email.js';
import type { RetryOptions } from './retry.js';
import { resolveSecret, type SecretResolver } from './secrets.js';
import { SlackChannel } from './slack.js';
import { WebhookChannel } from './webhook.js';

export interface ChannelBuildOptions {
  env?: Record<string, string | undefined>;
  /** The key manager's resolver for `{ from: vault | aws | dotenv }` references. */
  resolver?: SecretResolver;
  retry?: RetryOptions;
  now?: () => number;
}

/** The channels of a monitor config, their secrets resolved (see {@link resolveSecret}). */
export async function channelsFromConfig(channels: Record<string, ChannelConfig>, options: ChannelBuildOptions = {}): Promise<NotificationChannel[]> {
  const secret = (ref: Parameters<typeof resolveSecret>[0], what: string) =>
    resolveSecret(ref, { ...(options.env ? { env: options.env } : {}), ...(options.resolver ? { resolver: options.resolver } : {}), what });
  const retry = options.retry ? { retry: options.retry } : {};
  const built: NotificationChannel[] = [];
  for (const [name, channel] of Object.entries(channels)) {
    switch (channel.type) {
      case 'slack':
        built.push(new SlackChannel({ name, url: await secret(channel.url, `channel ${name}: url`), ...(channel.username ? { username: channel.username } : {}), ...(channel.iconEmoji ? { iconEmoji: channel.iconEmoji } : {}), ...retry }));
        break;
      case 'email': {
        const smtp = channel.smtp;
        built.push(
          new EmailChannel({
            name,
            host: smtp.host,
            ...(smtp.port !== undefined ? { port: smtp.port } : {}),
            ...(smtp.secure !== undefined ? { secure: smtp.secure } : {}),
            ...(smtp.user !== undefined ? { user: smtp.user } : {}),
            ...(smtp.password !== undefined ? { password: await secret(smtp.password, `channel ${name}: smtp.password`) } : {}),
            ...(smtp.allowSelfSigned ? { allowSelfSigned: true } : {}),
            from: channel.from,
            to: typeof channel.to === 'string' ? [channel.to] : channel.to,
            ...retry,
          }),
        );
        break;
      }
      case 'webhook':
        built.push(new WebhookChannel({ name, url: channel.url, secret: await secret(channel.secret, `channel ${name}: secret`), ...(channel.headers ? { headers: channel.headers } : {}), ...retry, ...(options.now ? { now: options.now } : {}) }));
        break;
    }
  }
  return built;
}
