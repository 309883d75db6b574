import { z } from 'zod';
import { BaseProvider } from '../contract/base-provider.js';
import { messageText, messageToolCalls } from '../contract/messages.js';
import type {
  CallOptions,
  GenerateRequest,
  GenerateResponse,
  ModelInfo,
  StreamPart,
  TokenUsage,
  ToolCall,
} from '../contract/types.js';
import { CONTRACT_VERSION } from '../contract/version.js';
import { parseProviderConfig } from '../config/provider-config.js';
import { ProviderError } from '../errors.js';
import { defineProvider } from '../registry.js';
import { sleep } from '../util/sleep.js';

/** One scripted tool call: the tool's name and its arguments (an object, or JSON text sent as written). */
const scriptedCallSchema = z
  .object({ name: z.string().min(1), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}) })
  .strict();

/** A tool-call script: one entry per model turn, each the calls made in that turn (several = parallel calls). */
const toolScriptSchema = z.array(z.array(scriptedCallSchema).min(1, 'a turn of the script makes at least one call'));

type ToolScript = z.output<typeof toolScriptSchema>;

const latencySchema = z.union([
  z.number().min(0),
  z.object({ min: z.number().min(0), max: z.number().min(0) }).strict(),
]);

/** The `config:` block of a `mock:<name>` provider. */
export const mockProviderConfigSchema = z
  .object({
    /**
     * How to answer: `echo` repeats the last user message; `field` answers with a field of the
     * case's row (correct with probability `accuracy`); `fixed` always answers `text`;
     * `tool-result` answers with the results of the last tool message (else echoes), so a tool
     * loop's final answer is what the tools returned.
     */
    mode: z.enum(['echo', 'field', 'fixed', 'tool-result']).default('echo'),
    /**
     * Tool calls to make, turn by turn, when the request offers tools: `[[{ name, arguments }], …]`.
     * Turn k of a conversation (k assistant tool-call turns already in it) makes the calls of entry
     * k; past the end of the script the mock answers as `mode` says.
     */
    toolCalls: toolScriptSchema.optional(),
    /** A row field holding the case's own tool-call script (same shape as `toolCalls`, or it as JSON text); wins over `toolCalls`. */
    toolCallsField: z.string().min(1).optional(),
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
 * language model: it echoes, answers from a dataset field with a chosen accuracy, returns a
 * fixed text or the last tool results, or makes scripted tool calls (`toolCalls`, `toolCallsField`), after a configurable latency, failing at a configurable rate. Token counts are
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

  /** Its settings decide its answers (accuracy, seed, mode, ...): a cache keeps two configurations apart. */
  cacheIdentity(): Record<string, unknown> {
    return { settings: this.settings };
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
        tools: true,
        parallelToolCalls: true,
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

  /** The tool-call script of this call's case: the row's field when set and present, else the config's. */
  private toolScript(request: GenerateRequest): ToolScript | undefined {
    const field = this.settings.toolCallsField;
    const raw = field !== undefined ? request.context?.vars?.[field] : undefined;
    if (raw === undefined || raw === null || raw === '') return this.settings.toolCalls;
    let value: unknown = raw;
    try {
      if (typeof raw === 'string') value = JSON.parse(raw);
    } catch (error) {
      throw this.scriptError(`field '${field}' is not valid JSON (${(error as Error).message})`);
    }
    const parsed = toolScriptSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.scriptError(`field '${field}' at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  private scriptError(problem: string): ProviderError {
    return new ProviderError({
      kind: 'bad-request',
      providerId: this.id,
      message: `mock provider ${this.id}: the tool-call script in ${problem}. Write it as [[{ "name": "tool", "arguments": { ... } }], ...]: one list of calls per turn.`,
    });
  }

  /** The scripted calls for this turn, or undefined when the request offers no tools or the script is done. */
  private toolCallsFor(request: GenerateRequest): ToolCall[] | undefined {
    if (!request.tools?.length || request.toolChoice === 'none') return undefined;
    const script = this.toolScript(request);
    const turn = request.messages.filter((message) => messageToolCalls(message).length > 0).length;
    const calls = script?.[turn];
    if (!calls) return undefined;
    const offered = new Set(request.tools.map((tool) => tool.name));
    return calls.map((call, index) => {
      if (!offered.has(call.name)) {
        throw this.scriptError(`turn ${turn + 1} calls '${call.name}', which the request does not offer (its tools: ${[...offered].join(', ')})`);
      }
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
      return { id: `call_${turn + 1}_${index + 1}`, name: call.name, arguments: args };
    });
  }

  private answer(request: GenerateRequest): string {
    const { mode } = this.settings;
    const lastUser = () => {
      const message = [...request.messages].reverse().find((candidate) => candidate.role === 'user');
      return message ? messageText(message) : '';
    };
    switch (mode) {
      case 'echo':
        return lastUser();
      case 'tool-result': {
        const last = request.messages.at(-1);
        return last?.role === 'tool' ? messageText(last) : lastUser();
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

  private usageFor(request: GenerateRequest, text: string, toolCalls: ToolCall[] = []): TokenUsage {
    const inputTokens = Math.max(1, request.messages.reduce((sum, message) => sum + countTokens(messageText(message)), 0));
    const outputTokens = countTokens(text) + toolCalls.reduce((sum, call) => sum + 1 + countTokens(call.arguments), 0);
    return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  }

  private finish(request: GenerateRequest, text: string, startedAt: number, firstTokenAt?: number, toolCalls?: ToolCall[]): GenerateResponse {
    const usage = this.usageFor(request, text, toolCalls);
    const cost = this.estimateCost(usage);
    return {
      text,
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: toolCalls ? 'tool-calls' : 'stop',
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
    const toolCalls = this.toolCallsFor(request);
    if (toolCalls) return this.finish(request, '', startedAt, undefined, toolCalls);
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
    const toolCalls = this.toolCallsFor(request);
    if (toolCalls) {
      for (const [index, toolCall] of toolCalls.entries()) {
        yield { type: 'tool-call-delta', index, id: toolCall.id, name: toolCall.name, argumentsDelta: toolCall.arguments };
        yield { type: 'tool-call', index, toolCall };
      }
      const response = this.finish(request, '', startedAt, undefined, toolCalls);
      yield { type: 'usage', usage: response.usage };
      yield { type: 'finish', response };
      return;
    }
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
  description: 'Offline deterministic stand-in (echo, answer from a dataset field, fixed text, or scripted tool calls); not a language model.',
  capabilities: { streaming: true, batch: true, tools: true, parallelToolCalls: true },
  paceConfigKeys: ['latencyMs'],
  create: ({ model, config }) => new MockProvider(model, config),
});
