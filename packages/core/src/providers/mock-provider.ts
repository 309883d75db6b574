import { z } from 'zod';
import { BaseProvider } from '../contract/base-provider.js';
import { messageText } from '../contract/messages.js';
import type {
  CallOptions,
  GenerateRequest,
  GenerateResponse,
  ModelInfo,
  StreamPart,
  TokenUsage,
} from '../contract/types.js';
import { CONTRACT_VERSION } from '../contract/version.js';
import { parseProviderConfig } from '../config/provider-config.js';
import { ProviderError } from '../errors.js';
import { defineProvider } from '../registry.js';
import { sleep } from '../util/sleep.js';

const latencySchema = z.union([
  z.number().min(0),
  z.object({ min: z.number().min(0), max: z.number().min(0) }).strict(),
]);

/** The `config:` block of a `mock:<name>` provider. */
export const mockProviderConfigSchema = z
  .object({
    /**
     * How to answer: `echo` repeats the last user message; `field` answers with a field of the
     * case's row (correct with probability `accuracy`); `fixed` always answers `text`.
     */
    mode: z.enum(['echo', 'field', 'fixed']).default('echo'),
    /** For mode `field`: the row field holding the right answer. */
    field: z.string().min(1).optional(),
    /** For mode `field`: share of cases answered right, 0–1. Default 1. */
    accuracy: z.number().min(0).max(1).default(1),
    /** For mode `field`: what a wrong answer says. */
    wrongAnswer: z.string().default("I don't know."),
    /** For mode `fixed`: the answer. */
    text: z.string().default(''),
    /** Milliseconds before answering: a number, or `{ min, max }` drawn per call. Default 0. */
    latencyMs: latencySchema.default(0),
    /** Share of calls that fail, 0–1. Default 0. */
    errorRate: z.number().min(0).max(1).default(0),
    /**
     * `transient` (default): each call fails independently at `errorRate`, so a retry can succeed,
     * like a flaky server. `persistent`: the same cases always fail, like a request the server chokes on.
     */
    errorMode: z.enum(['transient', 'persistent']).default('transient'),
    /** How injected failures are classified. Default `server` (retryable). */
    errorKind: z.enum(['server', 'rate-limit', 'timeout', 'bad-request', 'content-filter', 'network']).default('server'),
    /** Varies which cases are answered right or fail, reproducibly. Default 0. */
    seed: z.number().int().default(0),
    /** Prices per million tokens, so cost columns can be exercised. Default: free. */
    pricing: z.object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }).strict().optional(),
  })
  .strict()
  .refine((config) => config.mode !== 'field' || config.field !== undefined, {
    message: "mode 'field' needs 'field': the row field that holds the answer",
    path: ['field'],
  });

export type MockProviderConfig = z.input<typeof mockProviderConfigSchema>;

/** A stable number in [0, 1) from a string (FNV-1a, then mixed), so every decision is reproducible. */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3's fmix32): FNV-1a alone barely moves the high bits when only the
  // last characters differ, and the high bits are what decide here.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}

const countTokens = (text: string) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length);

/**
 * An offline, deterministic provider for dry runs, demos, tests and load tests. It is not a
 * language model: it echoes, answers from a dataset field with a chosen accuracy, or returns a
 * fixed text, after a configurable latency, failing at a configurable rate. Token counts are
 * whitespace-separated words. The same case, repeat and seed always get the same answer.
 */
export class MockProvider extends BaseProvider {
  readonly provider = 'mock';
  readonly model: string;
  private readonly settings: z.output<typeof mockProviderConfigSchema>;
  /** Calls made per decision key, so transient failures differ from one attempt to the next. */
  private readonly attempts = new Map<string, number>();

  constructor(model: string, config: unknown = {}) {
    super();
    this.model = model;
    this.settings = parseProviderConfig(mockProviderConfigSchema, config, `mock:${model}`);
  }

  getModelInfo(): ModelInfo {
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: 1_000_000,
      capabilities: {
        streaming: true,
        batch: false,
        embeddings: false,
        logprobs: false,
        tools: false,
        parallelToolCalls: false,
        jsonMode: false,
        jsonSchema: false,
        vision: false,
        reasoning: false,
        multipleChoices: false,
      },
      ...(this.settings.pricing ? { pricing: this.settings.pricing } : {}),
    };
  }

  /** The key that decides this call's fate: the case (or the prompt text), the repeat and the seed. */
  private decisionKey(request: GenerateRequest): string {
    const context = request.context;
    const subject = context?.caseId ?? request.messages.map(messageText).join('\n');
    return `${this.settings.seed}|${this.model}|${subject}|${context?.repeat ?? 0}`;
  }

  private answer(request: GenerateRequest): string {
    const { mode } = this.settings;
    switch (mode) {
      case 'echo': {
        const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
        return lastUser ? messageText(lastUser) : '';
      }
      case 'fixed':
        return this.settings.text;
      case 'field': {
        const field = this.settings.field as string;
        const value = request.context?.vars?.[field];
        if (value === undefined) {
          throw new ProviderError({
            kind: 'bad-request',
            providerId: this.id,
            message: `mock provider ${this.id} answers from field '${field}', but the case has no such field.`,
          });
        }
        const right = unitHash(`answer|${this.decisionKey(request)}`) < this.settings.accuracy;
        return right ? String(value) : this.settings.wrongAnswer;
      }
      default: {
        const exhaustive: never = mode;
        return exhaustive;
      }
    }
  }

  private latencyFor(request: GenerateRequest): number {
    const latency = this.settings.latencyMs;
    if (typeof latency === 'number') return latency;
    return latency.min + unitHash(`latency|${this.decisionKey(request)}`) * Math.max(0, latency.max - latency.min);
  }

  private maybeFail(request: GenerateRequest): void {
    if (this.settings.errorRate <= 0) return;
    let key = this.decisionKey(request);
    if (this.settings.errorMode === 'transient') {
      const attempt = this.attempts.get(key) ?? 0;
      this.attempts.set(key, attempt + 1);
      key = `${key}|attempt ${attempt}`;
    }
    if (unitHash(`error|${key}`) < this.settings.errorRate) {
      throw new ProviderError({
        kind: this.settings.errorKind,
        providerId: this.id,
        statusCode: this.settings.errorKind === 'rate-limit' ? 429 : this.settings.errorKind === 'server' ? 500 : undefined,
        message: `mock provider ${this.id}: injected ${this.settings.errorKind} failure (errorRate ${this.settings.errorRate}).`,
      });
    }
  }

  private usageFor(request: GenerateRequest, text: string): TokenUsage {
    const inputTokens = Math.max(1, request.messages.reduce((sum, message) => sum + countTokens(messageText(message)), 0));
    const outputTokens = countTokens(text);
    return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  }

  private finish(request: GenerateRequest, text: string, startedAt: number, firstTokenAt?: number): GenerateResponse {
    const usage = this.usageFor(request, text);
    const cost = this.estimateCost(usage);
    return {
      text,
      finishReason: 'stop',
      usage,
      latencyMs: performance.now() - startedAt,
      ...(firstTokenAt !== undefined ? { timeToFirstTokenMs: firstTokenAt - startedAt } : {}),
      ...(cost ? { cost } : {}),
      warnings: this.validateRequest(request),
      providerId: this.id,
      model: this.model,
      rawId: `mock-${Math.floor(unitHash(this.decisionKey(request)) * 1e12).toString(36)}`,
    };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const startedAt = performance.now();
    this.validateRequest(request);
    try {
      await sleep(this.latencyFor(request), options.signal);
    } catch (error) {
      throw this.normaliseAbort(error, options);
    }
    this.maybeFail(request);
    return this.finish(request, this.answer(request), startedAt);
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    this.validateRequest(request);
    try {
      await sleep(this.latencyFor(request), options.signal);
    } catch (error) {
      throw this.normaliseAbort(error, options);
    }
    this.maybeFail(request);
    const text = this.answer(request);
    const firstTokenAt = performance.now();
    for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
      yield { type: 'text-delta', text: piece };
    }
    const response = this.finish(request, text, startedAt, firstTokenAt);
    yield { type: 'usage', usage: response.usage };
    yield { type: 'finish', response };
  }
}

/** The built-in `mock` provider family: `mock:<any name>`. */
export const mockProvider = defineProvider({
  name: 'mock',
  contractVersion: CONTRACT_VERSION,
  description: 'Offline deterministic stand-in (echo, answer from a dataset field, or fixed text); not a language model.',
  capabilities: { streaming: true, batch: true },
  paceConfigKeys: ['latencyMs'],
  create: ({ model, config }) => new MockProvider(model, config),
});
