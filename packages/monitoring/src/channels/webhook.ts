import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Notification, NotificationChannel } from '../alerts/manager.js';
import { RetryableError, retryAfterMs, withRetries, type RetryOptions } from './retry.js';

/** The header with the signing time, Unix seconds. */
export const SIGNATURE_TIMESTAMP_HEADER = 'x-llm-lab-timestamp';
/** The header with `v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the shared secret>`. */
export const SIGNATURE_HEADER = 'x-llm-lab-signature';

/** The signature headers of `body` signed at `timestamp` (Unix seconds). */
export function signWebhook(body: string, secret: string, timestamp: number): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { [SIGNATURE_TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: `v1=${mac}` };
}

export interface VerifyOptions {
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Buffer;
  /** The request headers (names in any case). */
  headers: Record<string, string | string[] | undefined>;
  secret: string;
  /** How old a signature may be, seconds (default 300): an older request is a replay. */
  toleranceSeconds?: number;
  /** The receiver's clock, ms (default `Date.now()`). */
  now?: number;
}

/**
 * For receivers of LLM Lab's webhook: checks the signature (constant-time) and that the timestamp
 * is within `toleranceSeconds` of now. Returns `{ ok: true }` or `{ ok: false, reason }`.
 */
export function verifyWebhook(options: VerifyOptions): { ok: true } | { ok: false; reason: string } {
  const header = (name: string): string | undefined => {
    const found = Object.entries(options.headers).find(([key]) => key.toLowerCase() === name)?.[1];
    return Array.isArray(found) ? found[0] : found;
  };
  const timestamp = header(SIGNATURE_TIMESTAMP_HEADER);
  const signature = header(SIGNATURE_HEADER);
  if (!timestamp || !signature) return { ok: false, reason: `missing ${!timestamp ? SIGNATURE_TIMESTAMP_HEADER : SIGNATURE_HEADER} header` };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds)) return { ok: false, reason: 'the timestamp is not a whole number of seconds' };
  const age = Math.abs((options.now ?? Date.now()) / 1000 - seconds);
  if (age > (options.toleranceSeconds ?? 300)) return { ok: false, reason: `the timestamp is ${Math.round(age)} s away from now (a replay, or a clock that is off)` };
  const body = typeof options.body === 'string' ? options.body : options.body.toString('utf8');
  const expected = Buffer.from(signWebhook(body, options.secret, seconds)[SIGNATURE_HEADER]!);
  const given = signature.split(',').map((part) => Buffer.from(part.trim()));
  if (!given.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) return { ok: false, reason: 'the signature does not match' };
  return { ok: true };
}

export interface WebhookChannelOptions {
  name: string;
  url: string;
  secret: string;
  headers?: Record<string, string>;
  retry?: RetryOptions;
  /** The signing clock, ms (default `Date.now`). */
  now?: () => number;
}

/**
 * POSTs each notification as JSON, signed with HMAC-SHA256 (see {@link signWebhook}); each try is
 * signed afresh. A 429 is tried again after its `Retry-After`, a 5xx or a network failure with
 * back-off; any other non-2xx fails at once.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name: string;
  constructor(private readonly options: WebhookChannelOptions) {
    this.name = options.name;
  }

  async send(notification: Notification): Promise<void> {
    const body = JSON.stringify({ version: 1, ...notification });
    await withRetries(async () => {
      const timestamp = Math.floor((this.options.now ?? Date.now)() / 1000);
      let response: Response;
      try {
        response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'llm-lab-monitor', ...this.options.headers, ...signWebhook(body, this.options.secret, timestamp) },
          body,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (error) {
        throw new RetryableError(`webhook ${this.name}: could not reach ${this.options.url}: ${(error as Error).message}`);
      }
      if (response.ok) {
        await response.arrayBuffer().catch(() => undefined);
        return;
      }
      const text = `webhook ${this.name}: ${this.options.url} answered ${response.status} ${(await response.text().catch(() => '')).slice(0, 200)}`;
      if (response.status === 429) throw new RetryableError(text, retryAfterMs(response.headers.get('retry-after')));
      if (response.status >= 500) throw new RetryableError(text);
      throw new Error(text);
    }, this.options.retry);
  }
}
