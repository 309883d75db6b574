import { OllamaHttpError } from './ollama-error.js';
import type { OllamaMessage, OllamaToolCall } from './convert-to-ollama-messages.js';

/** The body LLM Lab sends to `POST /api/chat`. */
export interface OllamaChatBody {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  format?: 'json' | Record<string, unknown>;
  options?: Record<string, unknown>;
  keep_alive?: string | number;
  think?: boolean;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: Record<string, unknown> } }>;
}

/** One object of Ollama's chat answer (a stream line, or the whole non-streamed answer). */
export interface OllamaChatChunk {
  model?: string;
  created_at?: string;
  message?: { role?: string; content?: string; thinking?: string; tool_calls?: OllamaToolCall[] };
  done?: boolean;
  done_reason?: string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
  error?: string;
}

/** One model listed by `GET /api/tags`. */
export interface OllamaModelTag {
  name: string;
  model: string;
  modified_at: string;
  /** Bytes on disk. */
  size: number;
  digest: string;
  details?: {
    format?: string;
    family?: string;
    families?: string[] | null;
    parameter_size?: string;
    quantization_level?: string;
  };
}

/** A thin client for Ollama's native REST API on `fetch` (undici keeps connections alive between calls). */
export class OllamaApi {
  constructor(
    readonly baseURL: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Sends `POST /api/chat`; rejects with {@link OllamaHttpError} for a non-2xx answer. */
  async chat(body: OllamaChatBody, signal: AbortSignal): Promise<Response> {
    return this.send('/api/chat', { method: 'POST', body: JSON.stringify(body), signal });
  }

  /** `GET /api/tags`: the models pulled on this Ollama server. */
  async listModels(signal?: AbortSignal): Promise<OllamaModelTag[]> {
    const response = await this.send('/api/tags', { method: 'GET', ...(signal ? { signal } : {}) });
    const parsed = (await response.json()) as { models?: OllamaModelTag[] };
    return Array.isArray(parsed.models) ? parsed.models : [];
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const response = await fetch(`${this.baseURL}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', accept: 'application/json, application/x-ndjson', ...this.headers },
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new OllamaHttpError(response.status, text, response.headers);
    }
    return response;
  }
}

/**
 * Reads an NDJSON body (one JSON object per line, as Ollama streams) and yields each parsed
 * object. A line that is not JSON throws a SyntaxError; a connection that breaks throws the
 * fetch error.
 */
export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== '') yield JSON.parse(line) as unknown;
      newline = buffered.indexOf('\n');
    }
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest !== '') yield JSON.parse(rest) as unknown;
}
