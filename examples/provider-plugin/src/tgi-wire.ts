/**
 * TGI's native wire shapes, from its OpenAPI document (`/generate`, `/generate_stream`, `/info`).
 * Fields this provider does not read are left out.
 */

/** Why TGI stopped generating. */
export type TgiFinishReason = 'length' | 'eos_token' | 'stop_sequence';

/** `parameters` of `POST /generate` and `POST /generate_stream`. */
export interface TgiParameters {
  max_new_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  frequency_penalty?: number;
  repetition_penalty?: number;
  typical_p?: number;
  truncate?: number;
  stop?: string[];
  seed?: number;
  do_sample?: boolean;
  /** Return `details` (finish reason and token counts). */
  details: boolean;
  /** Constrained output: `{ type: 'json', value: <JSON schema> }`. */
  grammar?: { type: 'json'; value: Record<string, unknown> };
  return_full_text?: boolean;
}

/** The body of `POST /generate` and `POST /generate_stream`. */
export interface TgiGenerateRequest {
  inputs: string;
  parameters: TgiParameters;
}

/** One generated token. `special` tokens (EOS and the like) carry no answer text. */
export interface TgiToken {
  id: number;
  text: string;
  logprob: number | null;
  special: boolean;
}

/** `details` of a `/generate` answer. */
export interface TgiDetails {
  finish_reason: TgiFinishReason;
  generated_tokens: number;
  seed?: number | null;
  /** Prompt tokens; filled only when `decoder_input_details` is asked for. */
  prefill?: Array<{ id: number; text: string; logprob: number | null }>;
  tokens?: TgiToken[];
}

/** The answer of `POST /generate`. */
export interface TgiGenerateResponse {
  generated_text: string;
  details?: TgiDetails | null;
}

/** `details` of the last `/generate_stream` event. `input_length` is the prompt's token count. */
export interface TgiStreamDetails {
  finish_reason: TgiFinishReason;
  generated_tokens: number;
  input_length?: number;
  seed?: number | null;
}

/** One `data:` event of `POST /generate_stream`; the last carries `generated_text` and `details`. */
export interface TgiStreamEvent {
  index?: number;
  token: TgiToken;
  generated_text: string | null;
  details: TgiStreamDetails | null;
}

/** TGI's error body (as an HTTP answer, or as a `data:` event in a stream). */
export interface TgiErrorBody {
  error: string;
  error_type?: string;
}

/** The answer of `GET /info`. */
export interface TgiInfo {
  model_id: string;
  model_sha?: string | null;
  max_input_tokens?: number;
  max_total_tokens?: number;
  max_stop_sequences?: number;
  version?: string;
  [field: string]: unknown;
}
