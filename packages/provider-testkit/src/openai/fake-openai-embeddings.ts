/**
 * OpenAI's embeddings endpoint (`POST /v1/embeddings`) for the fake server: deterministic vectors
 * computed from the input text, OpenAI's response and error shapes, `float` and `base64`
 * encodings (the official SDK asks for base64 by default and decodes it).
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../faults.js';
import type { WireAnswer } from './openai-compatible-server.js';
import { countWords, errorWire } from './openai-wire.js';

/** Embedding models the fake knows, with their default vector length and whether `dimensions` may shorten it. */
export const FAKE_EMBEDDING_MODELS: Readonly<Record<string, { dimensions: number; shortenable: boolean }>> = {
  'text-embedding-3-small': { dimensions: 1536, shortenable: true },
  'text-embedding-3-large': { dimensions: 3072, shortenable: true },
  'text-embedding-ada-002': { dimensions: 1536, shortenable: false },
};

/** Most inputs one embeddings request may carry (OpenAI's documented limit). */
export const MAX_EMBEDDING_INPUTS = 2048;

/**
 * The fake's embedding of `text`: a unit-length vector of `dimensions` float32 values seeded by a
 * hash of the text, so the same text always gets the same vector and different texts differ.
 */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  const seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const random = seededRandom(seed);
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, value) => sum + value * value, 0)) || 1;
  // Rounded to float32, the precision OpenAI sends (and what base64 carries).
  return Array.from(Float32Array.from(raw, (value) => value / norm));
}

function base64OfFloats(values: number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}

const invalid = (message: string, param: string | null, code: string | null = null): WireAnswer => ({
  status: 400,
  body: errorWire({ message, type: 'invalid_request_error', param, code }),
});

/** Answers an embeddings request body the way OpenAI does. */
export function answerEmbeddings(body: unknown): WireAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid('We could not parse the JSON body of your request.', null);
  }
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') {
    return invalid('You must provide a model parameter.', null);
  }
  const model = FAKE_EMBEDDING_MODELS[request.model];
  if (!model) {
    return {
      status: 404,
      body: errorWire({
        message: `The model \`${request.model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      }),
    };
  }
  if (request.input === undefined) return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((input) => typeof input !== 'string' || input === '')) {
    return invalid("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null);
  }
  if (inputs.length > MAX_EMBEDDING_INPUTS) {
    return invalid(`'$.input' is invalid: an array of at most ${MAX_EMBEDDING_INPUTS} inputs is allowed, got ${inputs.length}.`, 'input');
  }
  let dimensions = model.dimensions;
  if (request.dimensions !== undefined) {
    if (!model.shortenable) return invalid('This model does not support specifying dimensions.', 'dimensions');
    if (typeof request.dimensions !== 'number' || !Number.isInteger(request.dimensions) || request.dimensions < 1 || request.dimensions > model.dimensions) {
      return invalid(`Invalid 'dimensions': expected an integer from 1 to ${model.dimensions}.`, 'dimensions', 'invalid_value');
    }
    dimensions = request.dimensions;
  }
  const encoding = request.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') {
    return invalid(`'${String(encoding)}' is not one of ['float', 'base64'] - 'encoding_format'`, 'encoding_format', 'invalid_value');
  }
  const tokens = (inputs as string[]).reduce((sum, input) => sum + Math.max(1, countWords(input)), 0);
  return {
    status: 200,
    body: {
      object: 'list',
      data: (inputs as string[]).map((input, index) => {
        const vector = fakeEmbedding(input, dimensions);
        return { object: 'embedding', index, embedding: encoding === 'base64' ? base64OfFloats(vector) : vector };
      }),
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
