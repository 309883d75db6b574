import type { Issues } from './promptfoo-issues.js';

/** An LLM Lab provider entry made from a promptfoo provider. */
export interface MappedProvider {
  id: string;
  label?: string;
  config: Record<string, unknown>;
  settings: Record<string, unknown>;
}

/** promptfoo `config:` keys that are sampling settings, by their LLM Lab name. */
const SAMPLING_KEYS: Record<string, string> = {
  temperature: 'temperature',
  max_tokens: 'maxTokens',
  max_completion_tokens: 'maxTokens',
  maxOutputTokens: 'maxTokens',
  num_predict: 'maxTokens',
  top_p: 'topP',
  topP: 'topP',
  top_k: 'topK',
  topK: 'topK',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  stop: 'stop',
  seed: 'seed',
};

/** promptfoo `config:` keys that change nothing about the answers, ignored with a warning. */
const IGNORED_KEYS = new Set(['cost', 'showThinking', 'passthrough']);

/**
 * The LLM Lab id of a promptfoo provider id: `openai:chat:gpt-4o-mini` and `openai:gpt-4o` →
 * `openai:…`; `anthropic:messages:…` → `anthropic:…`; `vertex:…`, `google:…`, `gemini:…` →
 * `google:…`; `ollama:chat:…` → `ollama:…`; `echo` → the mock's echo. Undefined when there is none.
 */
export function labProviderId(id: string): { id: string; note?: string; config?: Record<string, unknown> } | undefined {
  if (id === 'echo') return { id: 'mock:echo', config: { mode: 'echo' } };
  const [family = '', ...rest] = id.split(':');
  const tail = rest.join(':');
  if (tail === '') return undefined;
  const strip = (kinds: string[]) => {
    const [kind, ...model] = tail.split(':');
    return kinds.includes(kind ?? '') && model.length > 0 ? model.join(':') : tail;
  };
  switch (family) {
    case 'openai': {
      if (/^(?:completion|embedding|embeddings|assistant|realtime|responses|image|transcription):/.test(tail)) return undefined;
      return { id: `openai:${strip(['chat'])}` };
    }
    case 'anthropic':
      return /^completion:/.test(tail) ? undefined : { id: `anthropic:${strip(['messages'])}` };
    case 'google':
    case 'gemini':
      return { id: `google:${tail}` };
    case 'vertex':
      return { id: `google:${tail}`, note: "vertex: is run through Google's Gemini API (an API key, GEMINI_API_KEY), not Vertex AI's service-account auth" };
    case 'ollama':
      return /^(?:embedding|embeddings):/.test(tail) ? undefined : { id: `ollama:${strip(['chat', 'completion'])}` };
    default:
      return undefined;
  }
}

/** A `config:` value of a promptfoo provider as LLM Lab `config` and `settings`, reporting what does not map. */
function mapProviderConfig(family: string, config: Record<string, unknown>, path: string, issues: Issues): { config: Record<string, unknown>; settings: Record<string, unknown> } {
  const labConfig: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const sampling = SAMPLING_KEYS[key];
    if (sampling) settings[sampling] = sampling === 'stop' && typeof value === 'string' ? [value] : value;
    else if (key === 'apiKey') labConfig['apiKey'] = value;
    else if (key === 'apiKeyEnvar' && typeof value === 'string') labConfig['apiKey'] = `\${${value}}`;
    else if (key === 'apiBaseUrl' || key === 'baseUrl' || key === 'baseURL') labConfig['baseURL'] = value;
    else if (key === 'apiHost' && typeof value === 'string') labConfig['baseURL'] = family === 'openai' ? `https://${value}/v1` : `https://${value}`;
    else if (key === 'timeout' && typeof value === 'number') labConfig['timeoutMs'] = value;
    else if (IGNORED_KEYS.has(key)) issues.warn(`${path}.${key}`, 'ignored: it does not change the answers LLM Lab scores');
    else issues.error(`${path}.${key}`, `provider config key '${key}' has no LLM Lab equivalent; remove it or set it in an llm-lab.yaml provider entry`);
  }
  return { config: labConfig, settings };
}

/** One promptfoo provider (an id, `{ id, label, config }`, or `{ '<id>': { config } }`) as an LLM Lab entry. */
export function mapProvider(value: unknown, path: string, issues: Issues): MappedProvider | undefined {
  let id: unknown;
  let body: Record<string, unknown> = {};
  if (typeof value === 'string') id = value;
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if (typeof object['id'] === 'string') {
      id = object['id'];
      body = object;
    } else if (Object.keys(object).length === 1) {
      id = Object.keys(object)[0];
      const inner = Object.values(object)[0];
      body = inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
    }
  }
  if (typeof id !== 'string') {
    issues.error(path, 'expected a provider id such as openai:gpt-4o-mini, or { id, config }');
    return undefined;
  }
  const mapped = labProviderId(id);
  if (!mapped) {
    issues.error(`${path}${typeof value === 'string' ? '' : '.id'}`, `provider '${id}' has no LLM Lab equivalent (mapped: openai:chat:…, openai:…, anthropic:messages:…, google:…, vertex:…, ollama:chat:…, echo)`);
    return undefined;
  }
  if (mapped.note) issues.warn(path, mapped.note);
  for (const key of Object.keys(body)) {
    if (!['id', 'label', 'config', 'delay', 'prompts', 'transform'].includes(key)) issues.error(`${path}.${key}`, `provider key '${key}' has no LLM Lab equivalent`);
  }
  if (body['prompts'] !== undefined) issues.error(`${path}.prompts`, 'a provider limited to some prompts is not mapped: every provider answers every prompt in LLM Lab');
  if (body['transform'] !== undefined) issues.error(`${path}.transform`, 'output transforms are not mapped: they change what is scored');
  if (body['delay'] !== undefined) issues.warn(`${path}.delay`, 'ignored: LLM Lab paces calls with rateLimit on the provider entry');
  const family = mapped.id.slice(0, mapped.id.indexOf(':'));
  const rawConfig = body['config'];
  const { config, settings } =
    rawConfig !== null && typeof rawConfig === 'object' && !Array.isArray(rawConfig)
      ? mapProviderConfig(family, rawConfig as Record<string, unknown>, `${path}.config`, issues)
      : { config: {}, settings: {} };
  return {
    id: mapped.id,
    ...(typeof body['label'] === 'string' ? { label: body['label'] } : {}),
    config: { ...(mapped.config ?? {}), ...config },
    settings,
  };
}

/** A grader or embedding provider of promptfoo (`options.provider`) as an LLM Lab provider reference. */
export function mapGraderReference(value: unknown, path: string, issues: Issues): string | { id: string; config: Record<string, unknown> } | undefined {
  const mapped = mapProvider(value, path, issues);
  if (!mapped) return undefined;
  return Object.keys(mapped.config).length === 0 ? mapped.id : { id: mapped.id, config: mapped.config };
}

/** An embedding model reference: promptfoo's `openai:embedding:<model>` (or `openai:embeddings:`) as `openai:<model>`. */
export function mapEmbeddingReference(value: unknown, path: string, issues: Issues): string | { id: string; config: Record<string, unknown> } | undefined {
  const rewrite = (id: string) => id.replace(/^(openai|ollama):embeddings?:/, '$1:');
  if (typeof value === 'string') return mapGraderReference(rewrite(value), path, issues);
  if (value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') {
    return mapGraderReference({ ...(value as object), id: rewrite((value as { id: string }).id) }, path, issues);
  }
  return mapGraderReference(value, path, issues);
}
