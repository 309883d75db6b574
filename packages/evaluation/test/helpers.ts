import {
  labConfigSchema,
  type BatchItemResult,
  type BatchOptions,
  type CallOptions,
  type CostBreakdown,
  type GenerateRequest,
  type GenerateResponse,
  type LabConfig,
  type LabConfigInput,
  type LanguageModelProvider,
  type ModelInfo,
  type StreamPart,
  type TokenUsage,
} from '@llm-lab/core';
import { resultKey, type NewResult, type ResultStore } from '../src/index.js';

import { tempDir, writeTempFile } from './support/temp-files.js';

export { tempDir, writeTempFile };

/** A config with defaults applied, as the CLI would pass it. */
export function makeConfig(input: Omit<LabConfigInput, 'providers'> & Partial<Pick<LabConfigInput, 'providers'>>): LabConfig {
  return labConfigSchema.parse({ providers: ['mock:unused'], ...input });
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/**
 * A real in-memory result store: it keeps rows by result key, and fails the test loudly if the
 * engine ever writes the same (case, provider, prompt, repeat) twice.
 */
export class MemoryStore implements ResultStore {
  readonly rows = new Map<string, NewResult>();
  batches: number[] = [];
  /** Optional delay per write, to let tests observe buffering. */
  writeDelayMs = 0;

  async insertResults(results: NewResult[]): Promise<number> {
    if (this.writeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.writeDelayMs));
    for (const result of results) {
      const key = `${result.runId}\u0000${resultKey(result)}`;
      if (this.rows.has(key)) throw new Error(`duplicate result written: ${key.replace(/\u0000/g, ' | ')}`);
      this.rows.set(key, result);
    }
    this.batches.push(results.length);
    return results.length;
  }

  async completedKeys(runId: string, range?: { fromCase: number; toCase: number }): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const result of this.rows.values()) {
      if (result.runId !== runId) continue;
      if (range && (result.caseIndex < range.fromCase || result.caseIndex >= range.toCase)) continue;
      keys.add(resultKey(result));
    }
    return keys;
  }

  results(runId: string): NewResult[] {
    return [...this.rows.values()].filter((result) => result.runId === runId);
  }
}

/**
 * Wraps a real provider to observe the engine: every request it was sent, and the most calls
 * that were in flight at once. Answers come from the wrapped provider unchanged.
 */
export class ObservedProvider implements LanguageModelProvider {
  readonly requests: GenerateRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly contractVersion: string;
  readonly id: string;
  readonly provider: string;
  readonly model: string;

  constructor(private readonly inner: LanguageModelProvider) {
    this.contractVersion = inner.contractVersion;
    this.id = inner.id;
    this.provider = inner.provider;
    this.model = inner.model;
  }

  private enter(request: GenerateRequest): void {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }

  async generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResponse> {
    this.enter(request);
    try {
      return await this.inner.generate(request, options);
    } finally {
      this.inFlight--;
    }
  }

  async *streamGenerate(request: GenerateRequest, options?: CallOptions): AsyncIterable<StreamPart> {
    this.enter(request);
    try {
      yield* this.inner.streamGenerate(request, options);
    } finally {
      this.inFlight--;
    }
  }

  batchGenerate(requests: GenerateRequest[], options?: BatchOptions): Promise<BatchItemResult[]> {
    return this.inner.batchGenerate(requests, options);
  }

  getModelInfo(): ModelInfo {
    return this.inner.getModelInfo();
  }

  estimateCost(usage: TokenUsage): CostBreakdown | undefined {
    return this.inner.estimateCost(usage);
  }
}

/** Writes a JSONL dataset of `count` capital-city style rows: id `q<i>`, question, answer `A<i>`. */
export async function writeQuestions(count: number, name = 'cases.jsonl'): Promise<{ dir: string; file: string }> {
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ id: `q${i}`, question: `What is item ${i}?`, answer: `A${i}` }));
  return writeTempFile(name, `${lines.join('\n')}\n`);
}
