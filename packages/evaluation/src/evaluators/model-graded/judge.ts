import { messageText, type ChatMessage, type LanguageModelProvider, type TokenLogprob } from '@llm-lab/core';
import type { ProviderReference } from '../schemas.js';
import type { EvaluationInput, EvaluatorContext } from '../types.js';

/** What a judge answered. */
export interface JudgeAnswer {
  text: string;
  logprobs?: TokenLogprob[];
  /** The prompt as stored in the ScoreRecord. */
  prompt: string;
}

/** A provider used as a grader. */
export interface Judge {
  /** `<provider>:<model>` of the judge. */
  readonly id: string;
  /**
   * Sends one conversation to the judge (temperature 0 unless configured), returning its text.
   * `logprobs` asks for that many alternatives per token when the judge's model can give them.
   */
  ask(messages: ChatMessage[], signal?: AbortSignal, options?: { logprobs?: number }): Promise<JudgeAnswer>;
}

/** A conversation as one readable string, for `judgePrompt`. */
export function formatMessages(messages: readonly ChatMessage[]): string {
  return messages.map((message) => `[${message.role}]\n${message.content}`).join('\n\n');
}

/** Creates a provider named in an evaluator option (a judge or a baseline) through the engine's factory. */
export function createConfiguredProvider(reference: ProviderReference, field: string, context: EvaluatorContext): LanguageModelProvider {
  if (!context.createProvider) {
    context.fail(
      field,
      `this evaluator needs a provider ('${reference.id}'), but no provider factory was given. Run it through the engine with createProvider (createLab does this), or pass createProvider to createEvaluators.`,
    );
  }
  try {
    return context.createProvider(reference.id, reference.config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.fail(field, `could not create provider '${reference.id}': ${message}`, error);
  }
}

/** Makes the judge of a model-graded evaluator from its `judge` option. */
export function createJudge(reference: ProviderReference, context: EvaluatorContext, field = 'judge'): Judge {
  const provider = createConfiguredProvider(reference, field, context);
  const { temperature = 0, maxTokens, seed } = reference.settings;
  return {
    id: provider.id,
    async ask(messages, signal, options = {}) {
      // Log-probabilities only from a judge whose model can give them (no warning otherwise).
      const logprobs = options.logprobs !== undefined && provider.getModelInfo().capabilities.logprobs ? options.logprobs : undefined;
      const response = await provider.generate(
        {
          messages,
          temperature,
          ...(maxTokens !== undefined ? { maxTokens } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...(logprobs !== undefined ? { logprobs } : {}),
        },
        signal ? { signal } : {},
      );
      return { text: response.text, prompt: formatMessages(messages), ...(response.logprobs ? { logprobs: response.logprobs } : {}) };
    },
  };
}

/** The question the model answered: its last user message, or '' when the engine did not pass the prompt. */
export function questionOf(input: EvaluationInput): string {
  const question = [...(input.prompt ?? [])].reverse().find((message) => message.role === 'user');
  return question ? messageText(question) : '';
}

/** The first JSON object in a text (a ```json block, or from the first `{` to its matching `}`), or undefined. */
export function findJsonObject(text: string): Record<string, unknown> | undefined {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(text);
  const candidates = fenced ? [fenced[1] as string, text] : [text];
  for (const candidate of candidates) {
    const start = candidate.indexOf('{');
    if (start < 0) continue;
    let depth = 0;
    let inString = false;
    for (let i = start; i < candidate.length; i++) {
      const char = candidate[i];
      if (inString) {
        if (char === '\\') i++;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === '{') depth++;
      else if (char === '}' && --depth === 0) {
        try {
          const value = JSON.parse(candidate.slice(start, i + 1)) as unknown;
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
        } catch {
          // Not JSON after all; try the next candidate.
        }
        break;
      }
    }
  }
  return undefined;
}
