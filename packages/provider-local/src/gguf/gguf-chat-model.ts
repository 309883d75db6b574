import { fileFingerprint } from './file-fingerprint.js';
import {
  BaseProvider,
  raceAbort,
  ProviderError,
  isProviderError,
  abortOutcomeOf,
  startCallDeadline,
  type CallDeadline,
  type CallOptions,
  type ChatMessage,
  type GenerateRequest,
  type GenerateResponse,
  type CompletionScore,
  type ModelInfo,
  type ProviderWarning,
  type ScoreCompletionsRequest,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import type { ChatWrapper, LlamaCompletion, LlamaCompletionGenerationOptions, LlamaContext, LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import { describeError } from '../shared/error-details.js';
import type { GgufMetadata } from './gguf-metadata.js';
import { ggufRequestOptionsSchema, type ResolvedGgufSettings } from './gguf-options.js';
import { ChatTemplateError, promptToString, promptTokens, renderGgufPrompt, resolveGgufChatWrapper, sequenceStart, type GgufPrompt } from './gguf-prompt-format.js';
import { acquireModel, NodeLlamaCppMissingError, type ModelLease } from './llama-runtime.js';
import { mapGgufFinishReason, type LlamaStopReason } from './map-gguf-finish-reason.js';
import { scoreContinuations } from './score-continuations.js';

/** Largest context made by default, whatever the model was trained with (memory grows with it). */
const DEFAULT_MAX_CONTEXT = 4096;

/** What a {@link GgufChatModel} is made from; `createGguf` supplies it. */
export interface GgufChatModelOptions {
  settings: ResolvedGgufSettings;
  /** The absolute path of the GGUF file. */
  path: string;
  /** Read from the file's header when the model was made. */
  metadata: GgufMetadata;
  /** The provider name in ids. Default `gguf`. */
  provider?: string;
}

/** One context with one sequence, used by one call at a time. */
interface Slot {
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
}

/** A prompt as the model reads it, for inspection: see {@link GgufChatModel.formatPrompt}. */
export interface FormattedGgufPrompt {
  /** `chat-template` when the model's own template formatted it, else `completion`. */
  format: GgufPrompt['format'];
  /** The prompt text, special tokens written out as the model spells them. */
  text: string;
  /** The tokens evaluated, beginning-of-sequence token included. */
  tokens: number[];
}

/** Everything one completion needs, after validation (the prompt is formatted once the model is loaded). */
interface PreparedCall {
  stop: string[];
  generation: LlamaCompletionGenerationOptions;
  json: { schema?: Record<string, unknown> } | undefined;
  warnings: ProviderWarning[];
}

/**
 * A GGUF model run in-process by node-llama-cpp (loaded lazily on the first call), behind the
 * LLM Lab provider contract. The conversation is formatted as `config.promptFormat` says (see
 * `gguf-prompt-format.ts`): with the model's own chat template when its GGUF metadata has one
 * (`auto`, `chat-template`), else flattened into a plain-text prompt (`flattenMessagesToPrompt`),
 * and run as a text completion of those tokens. The loaded model is shared per process and path;
 * each call runs in its own context sequence from a pool of `parallelism` contexts; further calls
 * wait their turn. A response's
 * `latencyMs` is its own generation; the wait for the model to load and for a free context is
 * its `queueMs`.
 */
export class GgufChatModel extends BaseProvider {
  readonly provider: string;
  readonly model: string;
  /** The GGUF file this model runs. */
  readonly path: string;
  private fingerprint: string | undefined;
  private readonly settings: ResolvedGgufSettings;
  private readonly metadata: GgufMetadata;
  private lease: Promise<ModelLease> | undefined;
  /** The chat wrapper, resolved once per loaded model (undefined: plain completion). */
  private wrapper: { lease: ModelLease; wrapper: ChatWrapper | undefined } | undefined;
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private creating = 0;
  private closed = false;

  constructor(model: string, options: GgufChatModelOptions) {
    super();
    this.model = model;
    this.provider = options.provider ?? 'gguf';
    this.path = options.path;
    this.settings = options.settings;
    this.metadata = options.metadata;
  }

  /** The context size calls run with: the configured one, else the model's training context (at most 4096). */
  get contextSize(): number {
    return this.settings.contextSize ?? Math.min(this.metadata.contextLength ?? 2048, DEFAULT_MAX_CONTEXT);
  }

  /**
   * The model file that answers (contract 1.2): its path and a fingerprint that changes when the
   * file does (see {@link fileFingerprint}), and the context size calls run with (a prompt that
   * fits one context size may be refused at another).
   */
  cacheIdentity(): Record<string, unknown> {
    this.fingerprint ??= fileFingerprint(this.path);
    return { file: this.path, fingerprint: this.fingerprint, contextSize: this.contextSize };
  }

  getModelInfo(): ModelInfo {
    const pricing = this.settings.pricing;
    return {
      id: this.id,
      provider: this.provider,
      model: this.model,
      contextWindow: this.contextSize,
      capabilities: { streaming: true, batch: false, embeddings: false, logprobs: false, tools: false, jsonMode: true, vision: false },
      ...(pricing ? { pricing: { ...pricing } } : {}),
    };
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResponse> {
    const { timeToFirstTokenMs: _ttft, ...response } = await this.collectStream(this.streamGenerate(request, options));
    return response;
  }

  async *streamGenerate(request: GenerateRequest, options: CallOptions = {}): AsyncIterable<StreamPart> {
    const startedAt = performance.now();
    const prepared = this.prepare(request);
    const call = startCallDeadline(options, this.settings.timeoutMs);
    const stopper = new AbortController();
    const signal = AbortSignal.any([call.signal, stopper.signal]);
    let slot: Slot | undefined;
    let lease: ModelLease | undefined;
    const chunks: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    let stopReason: LlamaStopReason | undefined;
    let outputTokens = 0;
    let inputTokens = 0;
    let firstTokenAt: number | undefined;
    let text = '';
    let running: Promise<void> | undefined;
    // When the call has its context: waiting for the model to load and for a free context (calls
    // beyond `parallelism` take turns) is queueMs, not the call's latency.
    let callStartedAt = startedAt;
    try {
      try {
        lease = await this.loadModel(signal);
        slot = await this.acquireSlot(lease, signal);
        callStartedAt = performance.now();
        await slot.sequence.clearHistory();
        const prompt = this.renderPrompt(lease, request.messages);
        const tokens = promptTokens(lease.model, prompt.text);
        inputTokens = tokens.length;
        if (inputTokens >= this.contextSize) {
          throw new ProviderError({
            kind: 'bad-request',
            providerId: this.id,
            message: `${this.id}: the prompt is ${inputTokens} tokens, but the context holds ${this.contextSize}. Shorten the prompt or raise config.contextSize (the model was trained with ${this.metadata.contextLength ?? 'an unknown'} tokens).`,
          });
        }
        let grammar: LlamaGrammar | undefined;
        if (prepared.json) {
          grammar = prepared.json.schema
            ? await lease.llama.createGrammarForJsonSchema(prepared.json.schema as Parameters<typeof lease.llama.createGrammarForJsonSchema>[0])
            : await lease.llama.getGrammarFor('json');
        }
        const active = slot;
        running = active.completion
          // node-llama-cpp's completion prepends the beginning-of-sequence token itself.
          .generateCompletionWithMeta(tokens.slice(sequenceStart(lease.model).length), {
            ...prepared.generation,
            ...(prepared.stop.length + prompt.stop.length > 0 ? { customStopTriggers: [...prepared.stop, ...prompt.stop] } : {}),
            ...(grammar ? { grammar } : {}),
            signal,
            stopOnAbortSignal: true,
            onTextChunk: (chunk) => {
              chunks.push(chunk);
              wake?.();
            },
            onToken: (tokens) => {
              outputTokens += tokens.length;
            },
          })
          .then(
            (result) => {
              stopReason = result.metadata.stopReason;
            },
            (error: unknown) => {
              failure = error;
            },
          )
          .finally(() => {
            finished = true;
            wake?.();
          });
      } catch (error) {
        throw this.mapError(error, call);
      }
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) {
          if (chunk === '') continue;
          firstTokenAt ??= performance.now();
          text += chunk;
          yield { type: 'text-delta', text: chunk };
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (failure !== undefined) throw this.mapError(failure, call);
      if (call.signal.aborted || stopReason === 'abort') throw this.mapError(new Error('aborted'), call);
    } finally {
      if (!finished && running) {
        stopper.abort();
        await running;
      }
      call.dispose();
      if (slot && lease) this.releaseSlot(slot);
    }
    const usage: TokenUsage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
    const cost = this.estimateCost(usage);
    yield { type: 'usage', usage };
    yield {
      type: 'finish',
      response: {
        text,
        finishReason: mapGgufFinishReason(stopReason ?? 'eogToken'),
        usage,
        latencyMs: performance.now() - callStartedAt,
        timeToFirstTokenMs: (firstTokenAt ?? performance.now()) - callStartedAt,
        queueMs: callStartedAt - startedAt,
        ...(cost ? { cost } : {}),
        warnings: prepared.warnings,
        providerId: this.id,
        model: this.model,
      },
    };
  }

  /**
   * The log-likelihood of each completion after the conversation (formatted as `generate` formats
   * it: the same prompt format, the same context tokens): the sum of the natural-log
   * probabilities the model gives the completion's tokens, teacher-forced. Tokens are split as lm-evaluation-harness splits them, so pass
   * completions with their leading space (` Paris`), as its multiple-choice tasks do.
   */
  async scoreCompletions(request: ScoreCompletionsRequest, options: CallOptions = {}): Promise<CompletionScore[]> {
    if (request.completions.length === 0) {
      throw new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id}: scoreCompletions needs at least one completion.` });
    }
    const call = startCallDeadline(options, this.settings.timeoutMs);
    let slot: Slot | undefined;
    try {
      const lease = await this.loadModel(call.signal);
      slot = await this.acquireSlot(lease, call.signal);
      // Not raced against the signal: the slot is given back only once its sequence is idle; the abort is checked between tokens batches.
      const prompt = this.renderPrompt(lease, request.messages);
      const scores = await scoreContinuations(lease.model, slot.sequence, prompt.text, request.completions, this.contextSize, call.signal);
      return scores.map((score, index) => ({ completion: request.completions[index] as string, ...score }));
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id}: ${error.message} Shorten the prompt or raise config.contextSize.`, cause: error });
      }
      throw this.mapError(error, call);
    } finally {
      call.dispose();
      if (slot) this.releaseSlot(slot);
    }
  }

  /**
   * The prompt a conversation is run as (and scored after): its format, its text with special
   * tokens written out, and the tokens evaluated. Loads the model; runs nothing.
   */
  async formatPrompt(messages: ChatMessage[], options: CallOptions = {}): Promise<FormattedGgufPrompt> {
    const call = startCallDeadline(options, this.settings.timeoutMs);
    try {
      const lease = await this.loadModel(call.signal);
      const prompt = this.renderPrompt(lease, messages);
      return { format: prompt.format, text: promptToString(prompt.text, lease.model), tokens: promptTokens(lease.model, prompt.text) };
    } catch (error) {
      throw this.mapError(error, call);
    } finally {
      call.dispose();
    }
  }

  /** Frees this model's contexts and gives the shared model back (it is disposed when no one else uses it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const lease = await this.lease?.catch(() => undefined);
    for (const slot of this.slots) await slot.context.dispose();
    this.slots.length = 0;
    this.idle.length = 0;
    await lease?.release();
  }

  private prepare(request: GenerateRequest): PreparedCall {
    const warnings = this.validateRequest(request);
    const parsed = ggufRequestOptionsSchema.safeParse(request.providerOptions ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : ((issue as { keys?: string[] } | undefined)?.keys?.join(', ') ?? '');
      throw new ProviderError({
        kind: 'bad-request',
        providerId: this.id,
        message: `Invalid request setting 'providerOptions${where ? `.${where}` : ''}' for ${this.id}: ${issue?.message ?? 'invalid'}. Accepted providerOptions: minP, repeatPenalty.`,
      });
    }
    const generation: LlamaCompletionGenerationOptions = { maxTokens: request.maxTokens ?? this.settings.maxTokens };
    if (request.temperature !== undefined) generation.temperature = request.temperature;
    if (request.topP !== undefined) generation.topP = request.topP;
    if (request.topK !== undefined) generation.topK = request.topK;
    if (request.seed !== undefined) generation.seed = request.seed;
    if (parsed.data.minP !== undefined) generation.minP = parsed.data.minP;
    const stop = [...(request.stop ?? this.settings.stop ?? [])];
    const penalty: NonNullable<Exclude<LlamaCompletionGenerationOptions['repeatPenalty'], false>> = {};
    for (const [setting, field] of [['presencePenalty', 'presencePenalty'], ['frequencyPenalty', 'frequencyPenalty']] as const) {
      const value = request[setting];
      if (value === undefined) continue;
      if (value < 0) {
        warnings.push({ type: 'unsupported-setting', setting, message: `${this.id}: llama.cpp penalties range from 0 to 1; the negative '${setting}' was ignored.` });
      } else {
        penalty[field] = Math.min(value, 1);
      }
    }
    if (parsed.data.repeatPenalty !== undefined) penalty.penalty = parsed.data.repeatPenalty;
    if (Object.keys(penalty).length > 0) generation.repeatPenalty = penalty;
    const format = request.responseFormat;
    const json = format?.type === 'json' ? (format.schema ? { schema: format.schema } : {}) : undefined;
    return { stop, generation, json, warnings };
  }

  /** Formats a conversation for the loaded model (its chat wrapper is resolved once). */
  private renderPrompt(lease: ModelLease, messages: readonly ChatMessage[]): GgufPrompt {
    if (this.wrapper?.lease !== lease) {
      this.wrapper = { lease, wrapper: resolveGgufChatWrapper(lease.engine, lease.model, this.settings.promptFormat, this.path) };
    }
    return renderGgufPrompt(this.wrapper.wrapper, messages);
  }

  private loadModel(signal: AbortSignal): Promise<ModelLease> {
    if (this.closed) {
      return Promise.reject(new ProviderError({ kind: 'bad-request', providerId: this.id, message: `${this.id} was closed; make a new provider to run it again.` }));
    }
    if (!this.lease) {
      this.lease = acquireModel(this.path, { gpu: this.settings.gpu });
      this.lease.catch(() => {
        this.lease = undefined;
      });
    }
    return raceAbort(this.lease, signal, (reason) => (reason instanceof Error ? reason : new Error('aborted')));
  }

  private async acquireSlot(lease: ModelLease, signal: AbortSignal): Promise<Slot> {
    const free = this.idle.pop();
    if (free) return free;
    if (this.slots.length + this.creating < this.settings.parallelism) {
      this.creating += 1;
      try {
        const context = await lease.model.createContext({ contextSize: this.contextSize, threads: this.settings.threads, sequences: 1 });
        const sequence = context.getSequence();
        const slot: Slot = { context, sequence, completion: new lease.engine.LlamaCompletion({ contextSequence: sequence }) };
        this.slots.push(slot);
        return slot;
      } finally {
        this.creating -= 1;
      }
    }
    return new Promise<Slot>((resolve, reject) => {
      const take = (slot: Slot) => {
        signal.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(take);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(take);
    });
  }

  private releaseSlot(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private mapError(error: unknown, call: CallDeadline): ProviderError {
    if (isProviderError(error)) return error;
    const make = (kind: ProviderError['kind'], message: string) => new ProviderError({ kind, providerId: this.id, message, cause: error });
    const stopped = abortOutcomeOf(call.abortState(), 'the model');
    if (stopped?.kind === 'cancelled') return make('cancelled', `${this.id}: ${stopped.what}`);
    if (stopped) return make('timeout', `${this.id}: ${stopped.what} Raise timeoutMs, lower maxTokens, or raise config.threads if the machine has idle cores.`);
    if (error instanceof NodeLlamaCppMissingError || error instanceof ChatTemplateError) return make('bad-request', `${this.id}: ${error.message}`);
    if (!this.lease) {
      return make('bad-request', `${this.id}: could not load the GGUF model at ${this.path} (${describeError(error)}). Check that the file is a complete GGUF model (re-download it with \`llm-lab models pull\` if in doubt).`);
    }
    return make('unknown', `${this.id}: inference failed (${describeError(error)}).`);
  }
}

