/**
 * Ollama's native REST wire shapes (https://github.com/ollama/ollama/blob/main/docs/api.md), as
 * the fake Ollama server reads and writes them. Durations are nanoseconds, as Ollama reports them.
 */

/** One message of `POST /api/chat`. */
export interface OllamaWireMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: unknown[];
  tool_name?: string;
  tool_call_id?: string;
  thinking?: string;
}

/** The body of `POST /api/chat`. Fields are `unknown` where a client may send anything. */
export interface OllamaChatRequestBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  format?: unknown;
  options?: unknown;
  keep_alive?: unknown;
  tools?: unknown;
  think?: unknown;
  [key: string]: unknown;
}

/** What a fake Ollama responder returns when it wants more than a text. */
export interface FakeOllamaReply {
  text: string;
  /** `done_reason` of the final object. Default `stop` (or `length` when `num_predict` cut the text). */
  doneReason?: string;
  /** `prompt_eval_count`. Default: words in the prompt. */
  promptEvalCount?: number;
  /** `eval_count`. Default: words in the answer. */
  evalCount?: number;
  /** `message.tool_calls`, whole (Ollama does not stream arguments); an `id` only when given. */
  toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
  /** `message.thinking` (with `think: true`), streamed before the content. */
  thinking?: string;
}

/** The `tool_calls` of an answer message: `{ id?, function: { index, name, arguments } }` with the arguments as an object. */
export function ollamaToolCallsWire(reply: FakeOllamaReply): unknown[] {
  return (reply.toolCalls ?? []).map((call, index) => ({
    ...(call.id !== undefined ? { id: call.id } : {}),
    function: { index, name: call.name, arguments: JSON.parse(call.arguments) as unknown },
  }));
}

/** The numeric options Ollama accepts, with the Go type its JSON decoder expects. */
export const OLLAMA_OPTION_TYPES: Readonly<Record<string, 'float' | 'int' | 'bool' | 'strings'>> = {
  temperature: 'float',
  top_p: 'float',
  top_k: 'int',
  min_p: 'float',
  typical_p: 'float',
  num_predict: 'int',
  num_ctx: 'int',
  num_keep: 'int',
  seed: 'int',
  stop: 'strings',
  presence_penalty: 'float',
  frequency_penalty: 'float',
  repeat_penalty: 'float',
  repeat_last_n: 'int',
  mirostat: 'int',
  mirostat_eta: 'float',
  mirostat_tau: 'float',
  num_batch: 'int',
  num_gpu: 'int',
  main_gpu: 'int',
  num_thread: 'int',
  use_mmap: 'bool',
  penalize_newline: 'bool',
};

/** Ollama's timestamp format: RFC 3339 with nanoseconds. */
export function ollamaTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_match, millis: string) => `.${millis}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}Z`);
}

/** The text of each message, for counting prompt words. */
export function ollamaMessagesOf(body: OllamaChatRequestBody): OllamaWireMessage[] {
  return Array.isArray(body.messages)
    ? body.messages.filter((message): message is OllamaWireMessage => typeof message === 'object' && message !== null)
    : [];
}

/** The default responder: the last user message's content (an echo). */
export function echoLastOllamaUserMessage(body: OllamaChatRequestBody): string {
  const users = ollamaMessagesOf(body).filter((message) => message.role === 'user');
  const last = users[users.length - 1];
  return typeof last?.content === 'string' ? last.content : '';
}

/** An Ollama error body: `{"error": "..."}`. */
export function ollamaErrorWire(message: string): { error: string } {
  return { error: message };
}

/** The message Ollama gives for a status when the fault names none. */
export function defaultOllamaErrorMessage(status: number, model: string | undefined): string {
  if (status === 404) return `model '${model ?? 'unknown'}' not found`;
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'too many requests: the server is busy, try again later';
  if (status === 400) return 'invalid request';
  if (status === 503) return 'server busy, please try again. maximum pending requests exceeded';
  if (status >= 500) return 'llama runner process has terminated: exit status 2';
  return `HTTP ${status}`;
}

/**
 * Checks `options` the way Ollama's Go JSON decoder does; returns the error text Ollama would
 * give for the first value of the wrong type, or undefined when they are fine.
 */
export function invalidOllamaOption(options: unknown): string | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object' || Array.isArray(options)) {
    return `json: cannot unmarshal ${Array.isArray(options) ? 'array' : typeof options} into Go struct field ChatRequest.options of type map[string]interface {}`;
  }
  for (const [name, value] of Object.entries(options)) {
    const expected = OLLAMA_OPTION_TYPES[name];
    if (expected === undefined || value === null) continue;
    const goType = { float: 'float32', int: 'int', bool: 'bool', strings: '[]string' }[expected];
    const ok =
      expected === 'float'
        ? typeof value === 'number'
        : expected === 'int'
          ? typeof value === 'number' && Number.isInteger(value)
          : expected === 'bool'
            ? typeof value === 'boolean'
            : Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (!ok) {
      const got = Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value;
      return `option "${name}" must be of type ${goType}, got ${got}`;
    }
  }
  return undefined;
}
