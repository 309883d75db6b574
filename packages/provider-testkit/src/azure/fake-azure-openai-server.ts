/**
 * A fake Azure OpenAI server: OpenAI's chat-completions protocol on Azure's routes
 * (`/openai/deployments/{deployment}/chat/completions?api-version=…`), with Azure's keys
 * (`api-key` header, or `Authorization: Bearer` for Microsoft Entra ID tokens), error bodies,
 * headers and content-filter annotations. Built on the same engine as the fake OpenAI server.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fakeServerHandle } from '../fake-http-server.js';
import type { FakeServerControl, NeutralRequestView, RecordedRequest, ScriptedReply } from '../fake-server-control.js';
import type { HttpErrorFault } from '../faults.js';
import {
  startOpenAICompatibleServer,
  type FakeResponder,
  type OpenAICompatibleServerOptions,
  type WireAnswer,
  type WireDialect,
} from '../openai/openai-compatible-server.js';
import { textOfContent, type ChatCompletionRequestBody } from '../openai/openai-wire.js';
import { createFakeBatchStore, type BatchLineFaultPicker, type FakeBatchOptions } from '../openai/fake-openai-batches.js';

/** Azure's harm categories, each with a severity and whether it was filtered. */
export type AzureContentFilterCategory = 'hate' | 'self_harm' | 'sexual' | 'violence';

/** Options of {@link startFakeAzureOpenAIServer}. Every option is optional. */
export interface FakeAzureOpenAIServerOptions extends OpenAICompatibleServerOptions {
  /** Deployment name → the model it serves (reported as `model` in answers). Default `{ 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18', 'gpt-4o': 'gpt-4o-2024-11-20' }`. */
  deployments?: Record<string, string>;
  /** When set, requests must carry `api-key: <apiKey>` (or a valid bearer token). */
  apiKey?: string;
  /** Bearer tokens accepted as Microsoft Entra ID tokens (`Authorization: Bearer <token>`). */
  bearerTokens?: string[];
  /** Accepted `api-version` values. Default: any `YYYY-MM-DD` or `YYYY-MM-DD-preview` version. */
  apiVersions?: string[];
  /** A prompt whose text matches this is refused with Azure's 400 `content_filter` (category `violence`). */
  blockedPrompt?: RegExp;
  /** How batches progress and fail (the Batch API of global-batch deployments). */
  batch?: FakeBatchOptions;
}

/** A running fake Azure OpenAI server. */
export interface FakeAzureOpenAIServer extends FakeServerControl {
  /** The resource endpoint, e.g. `http://127.0.0.1:41234` (the SDK appends `/openai`). */
  readonly url: string;
  readonly port: number;
  /** Replaces the responder (`undefined` restores the one given at start, or the echo). */
  setResponder(responder: FakeResponder | undefined): void;
  /** Makes the next chat request answer with `reply` (tool calls, fixed text) instead of the responder's answer. */
  enqueueReply(reply: ScriptedReply): void;
  /** Reads a recorded chat request back in neutral terms. */
  describeRequest(request: RecordedRequest): NeutralRequestView;
  /** Replaces the per-line batch fault picker (`undefined` restores `batch.lineFault`). */
  setBatchLineFault(picker: BatchLineFaultPicker | undefined): void;
  /** The batch objects created so far (as `GET /openai/batches/{id}` last showed them). */
  readonly batches: ReadonlyArray<Record<string, unknown>>;
  /** Sets how long batches stay `in_progress` (those already running included). */
  setBatchProcessingMs(ms: number): void;
}

/** Azure's Files and Batch APIs: OpenAI's, under `/openai`, with `/chat/completions` as the endpoint and a deployment as each line's model. */
function azureBatchStore(options: FakeAzureOpenAIServerOptions, deployments: Record<string, string>) {
  return createFakeBatchStore(options.batch, {
    prefix: '/openai',
    endpoints: ['/chat/completions'],
    chatEndpoint: '/chat/completions',
    resolveModel: (model) => (typeof model === 'string' ? deployments[model] : undefined),
    unknownModel: (model) => ({ code: 'model_not_found', message: `The provided model deployment ${JSON.stringify(model)} does not exist in the Azure OpenAI resource.` }),
  });
}

const DEFAULT_DEPLOYMENTS: Record<string, string> = { 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18', 'gpt-4o': 'gpt-4o-2024-11-20' };
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const CATEGORIES: AzureContentFilterCategory[] = ['hate', 'self_harm', 'sexual', 'violence'];

/** Azure's `content_filter_results`: every category safe, except `filtered` ones (at `severity`). */
export function contentFilterResults(filtered: AzureContentFilterCategory[] = [], severity: 'low' | 'medium' | 'high' = 'medium') {
  return Object.fromEntries(
    CATEGORIES.map((category) => [category, filtered.includes(category) ? { filtered: true, severity } : { filtered: false, severity: 'safe' }]),
  );
}

const azureError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): WireAnswer => ({
  status,
  body: { error: { code, message, ...extra } },
});

const ACCESS_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

const RESOURCE_NOT_FOUND = () => azureError(404, '404', 'Resource not found');

const CONTENT_FILTER_MESSAGE =
  "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766";

/** Azure's 400 for a prompt the content filter blocked, with the per-category result in `innererror`. */
function contentFilterError(message = CONTENT_FILTER_MESSAGE): WireAnswer {
  return {
    status: 400,
    body: {
      error: {
        message,
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: contentFilterResults(['violence'], 'high') },
      },
    },
  };
}

/** Azure's error body for an injected HTTP fault. */
function azureErrorBody(fault: HttpErrorFault, deployment: string | undefined): unknown {
  if (fault.code === 'content_filter') return contentFilterError(fault.message).body;
  const message = ((): string => {
    if (fault.message) return fault.message;
    switch (fault.status) {
      case 401:
        return ACCESS_DENIED;
      case 403:
        return 'Public access is disabled. Please configure private endpoint.';
      case 404:
        return 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';
      case 429:
        return `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier${deployment ? ` (deployment ${deployment})` : ''}. Please retry after 2 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`;
      case 500:
        return 'The server had an error while processing your request. Sorry about that!';
      case 503:
        return 'The service is temporarily unable to process your request. Please try again later.';
      default:
        return `Request failed with status ${fault.status}.`;
    }
  })();
  if (fault.status === 400 || fault.status === 500) {
    // Azure passes OpenAI's own error shape through for model-side failures.
    return { error: { message, type: fault.errorType ?? (fault.status >= 500 ? 'server_error' : 'invalid_request_error'), param: fault.param ?? null, code: fault.code ?? null } };
  }
  // Azure's gateway names the status as the code ('401', '429'); OpenAI's codes for those are not used.
  const openAICodes = ['invalid_api_key', 'rate_limit_exceeded'];
  const code = fault.code && !openAICodes.includes(fault.code) ? fault.code : String(fault.status);
  return { error: { code, message } };
}

function azureDialect(options: FakeAzureOpenAIServerOptions, deployments: Record<string, string>, batches: ReturnType<typeof azureBatchStore>): WireDialect {
  const versionAccepted = (version: string) => (options.apiVersions ? options.apiVersions.includes(version) : API_VERSION.test(version));
  return {
    urlPath: '',
    headers: ({ startedAt, rateLimit }) => ({
      'apim-request-id': randomUUID(),
      'x-request-id': randomUUID(),
      'x-ms-region': 'Sweden Central',
      'x-ms-client-request-id': 'Not-Set',
      'openai-processing-ms': String(Math.max(1, Math.round(performance.now() - startedAt))),
      'x-ratelimit-remaining-requests': rateLimit['x-ratelimit-remaining-requests'] as string,
      'x-ratelimit-limit-requests': rateLimit['x-ratelimit-limit-requests'] as string,
      'x-ratelimit-remaining-tokens': rateLimit['x-ratelimit-remaining-tokens'] as string,
      'x-ratelimit-limit-tokens': rateLimit['x-ratelimit-limit-tokens'] as string,
    }),
    authorize(request: IncomingMessage) {
      if (options.apiKey === undefined && options.bearerTokens === undefined) return undefined;
      const key = request.headers['api-key'];
      if (typeof key === 'string' && options.apiKey !== undefined && key === options.apiKey) return undefined;
      const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearer !== undefined && options.bearerTokens?.includes(bearer)) return undefined;
      if (bearer !== undefined && key === undefined) {
        return azureError(401, 'PermissionDenied', 'Principal does not have access to API/Operation.');
      }
      return azureError(401, '401', ACCESS_DENIED);
    },
    route(method, path, query) {
      const match = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(path);
      const batchPath = /^\/openai\/(files|batches)(\/|$)/.test(path);
      if ((!match || method !== 'POST') && !batchPath) return undefined;
      const version = query.get('api-version');
      // Azure answers a missing api-version with 404 "Resource not found", and an unknown one with 400.
      if (version === null || version === '') return RESOURCE_NOT_FOUND();
      if (!versionAccepted(version)) return azureError(400, 'BadRequest', 'API version not supported');
      if (!match || method !== 'POST') return batches.route(method, path);
      const deployment = decodeURIComponent(match[1] as string);
      const model = deployments[deployment];
      if (model === undefined) {
        return azureError(404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');
      }
      return { type: 'chat', model, requireModel: false };
    },
    notFound: () => RESOURCE_NOT_FOUND(),
    errorBody: (fault, model) => azureErrorBody(fault, model),
    rateLimited: ({ waitMs }) => {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return {
        ...azureError(
          429,
          '429',
          `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
        ),
        headers: { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(0, Math.round(waitMs))), 'x-ratelimit-remaining-requests': '0' },
      };
    },
    screen(body: ChatCompletionRequestBody) {
      if (!options.blockedPrompt || !Array.isArray(body.messages)) return undefined;
      const text = body.messages.map((message: unknown) => textOfContent((message as { content?: unknown } | null)?.content)).join('\n');
      return options.blockedPrompt.test(text) ? contentFilterError() : undefined;
    },
    decorateCompletion(completion, reply) {
      const filtered = reply.finishReason === 'content_filter';
      const choices = (completion.choices as Array<Record<string, unknown>>).map((choice) => ({
        ...choice,
        content_filter_results: contentFilterResults(filtered ? ['violence'] : []),
      }));
      return { ...completion, prompt_filter_results: [{ prompt_index: 0, content_filter_results: contentFilterResults() }], choices };
    },
    decorateChunks(chunks, reply) {
      const filtered = reply.finishReason === 'content_filter';
      // Azure sends the prompt's filter results first, in a chunk with no choices and blank identity fields.
      const promptChunk = { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: contentFilterResults() }] };
      const annotated = chunks.map((chunk, index) => {
        const choices = chunk.choices as Array<Record<string, unknown>>;
        if (choices.length === 0 || index === 0) return chunk;
        const last = choices[0]?.finish_reason !== null;
        return { ...chunk, choices: choices.map((choice) => ({ ...choice, content_filter_results: last && !filtered ? {} : contentFilterResults(last && filtered ? ['violence'] : []) })) };
      });
      return [promptChunk, ...annotated];
    },
  };
}

/**
 * Starts a local HTTP server that speaks Azure OpenAI's chat-completions protocol:
 * `POST /openai/deployments/{deployment}/chat/completions?api-version=…` with `api-key` or
 * Entra ID bearer auth, Azure's `DeploymentNotFound`, missing/unsupported api-version answers,
 * the Files and Batch APIs of global-batch deployments (`/openai/files`, `/openai/batches`, endpoint
 * `/chat/completions`, a deployment name as each line's model), content-filter 400s
 * (`innererror.content_filter_result`) and annotations
 * (`prompt_filter_results`, `content_filter_results`, `finish_reason: content_filter`), Azure's
 * 429 with `retry-after` and `x-ratelimit-*` headers, and the same SSE streaming, validation and
 * injected faults as the fake OpenAI server. Its `url` is the resource endpoint to give the SDK.
 */
export async function startFakeAzureOpenAIServer(options: FakeAzureOpenAIServerOptions = {}): Promise<FakeAzureOpenAIServer> {
  const deployments = options.deployments ?? DEFAULT_DEPLOYMENTS;
  const batches = azureBatchStore(options, deployments);
  const engine = await startOpenAICompatibleServer(azureDialect(options, deployments, batches), options);
  return fakeServerHandle(engine, {
    get batches() {
      return batches.list();
    },
    setBatchLineFault: (picker: BatchLineFaultPicker | undefined) => batches.setLineFault(picker),
    setBatchProcessingMs: (ms: number) => batches.setProcessingMs(ms),
    setResponder: (responder: FakeResponder | undefined) => engine.setResponder(responder),
    enqueueReply: (reply: ScriptedReply) => engine.enqueueReply(reply),
    describeRequest: (request: RecordedRequest) => engine.describeRequest(request),
  });
}
