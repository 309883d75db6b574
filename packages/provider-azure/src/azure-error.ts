import { ProviderError, isProviderError, retryAfterFromHeaders } from '@llm-lab/core';
import { mapOpenAIError, type OpenAIErrorContext } from '@llm-lab/provider-openai';
import { APIError } from 'openai';

/** What {@link mapAzureError} needs to know about the failed call. */
export interface AzureErrorContext extends OpenAIErrorContext {
  /** The deployment called (the model part of `azure:<deployment>`). */
  deployment: string;
  /** The `api-version` sent. */
  apiVersion: string;
}

/** Azure's per-category content-filter verdicts, e.g. `{ violence: { filtered: true, severity: 'high' } }`. */
export type AzureContentFilterResult = Record<string, { filtered?: unknown; severity?: unknown; detected?: unknown } | null | undefined>;

interface AzureErrorBody {
  code?: unknown;
  message?: unknown;
  innererror?: { code?: unknown; content_filter_result?: AzureContentFilterResult };
}

/** The categories Azure's content filter flagged, e.g. `violence (high), jailbreak`; empty when none. */
export function describeContentFilterResult(result: AzureContentFilterResult | undefined): string {
  if (!result || typeof result !== 'object') return '';
  return Object.entries(result)
    .filter(([, verdict]) => verdict?.filtered === true)
    .map(([category, verdict]) => (typeof verdict?.severity === 'string' ? `${category} (${verdict.severity})` : category))
    .join(', ');
}

/**
 * Classifies a failure of an Azure OpenAI call as a core ProviderError. Azure's own answers are
 * refined first: `DeploymentNotFound` → bad-request telling to check the deployment name, a
 * missing route or unsupported `api-version` → bad-request naming the endpoint and version, the
 * content filter (400 `content_filter`) → content-filter naming the flagged categories from
 * `innererror.content_filter_result`, 401/403 → authentication naming Azure's credentials.
 * Everything else (429 with `retry-after`, 5xx, timeouts, cancellation, network, invalid
 * bodies) is classified as for OpenAI. Messages never hold the key or token.
 */
export function mapAzureError(error: unknown, context: AzureErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  if (context.signal?.aborted || context.timedOut || !(error instanceof APIError) || typeof error.status !== 'number') {
    return mapOpenAIError(error, { ...context, isOpenAIHost: false });
  }
  const { providerId, deployment, apiVersion, baseURL } = context;
  const status = error.status;
  const body = (typeof error.error === 'object' && error.error !== null ? error.error : {}) as AzureErrorBody;
  const code = typeof body.code === 'string' ? body.code : typeof error.code === 'string' ? error.code : undefined;
  const vendorMessage = typeof body.message === 'string' ? body.message : error.message;
  const responseBody = JSON.stringify({ error: error.error ?? null });
  const make = (kind: ProviderError['kind'], message: string, extra: { isRetryable?: boolean; retryAfterMs?: number } = {}) =>
    new ProviderError({
      kind,
      providerId,
      message: `${providerId}: ${message}`,
      statusCode: status,
      responseBody,
      ...(code !== undefined ? { vendorCode: code } : {}),
      ...extra,
      cause: error,
    });

  if (code === 'DeploymentNotFound') {
    return make(
      'bad-request',
      `Azure OpenAI at ${baseURL} has no deployment named '${deployment}' (404 DeploymentNotFound). Check the deployment name: it is the part after 'azure:' in the provider id and must match a deployment of this resource exactly (a deployment created in the last few minutes may not be ready yet).`,
    );
  }
  if (status === 404) {
    return make(
      'bad-request',
      `Azure OpenAI at ${baseURL} answered 404 (${vendorMessage}). Check the endpoint (https://<resource>.openai.azure.com) and apiVersion '${apiVersion}'.`,
    );
  }
  if (status === 400 && /api version/i.test(vendorMessage)) {
    return make('bad-request', `Azure OpenAI refused api-version '${apiVersion}' (${vendorMessage}). Set apiVersion to a supported version, e.g. 2024-10-21.`);
  }
  if (code === 'content_filter' || body.innererror?.code === 'ResponsibleAIPolicyViolation') {
    const categories = describeContentFilterResult(body.innererror?.content_filter_result);
    return make(
      'content-filter',
      `Azure's content filter blocked the prompt${categories ? ` (flagged: ${categories})` : ''}. Rephrase the input, or review the content filter configuration of deployment '${deployment}'.`,
    );
  }
  if (status === 401 || status === 403) {
    return make(
      'authentication',
      `Azure OpenAI at ${baseURL} refused the credentials (${status} ${code ?? ''}: ${vendorMessage}). Check the key (config apiKey or AZURE_OPENAI_API_KEY) belongs to this resource, or that the Entra ID token is valid and its identity has the 'Cognitive Services OpenAI User' role.`,
    );
  }
  if (status === 429) {
    const retryAfterMs = retryAfterFromHeaders((name) => error.headers?.get(name));
    return make(
      'rate-limit',
      `Azure OpenAI deployment '${deployment}' is rate limited (${vendorMessage}).${retryAfterMs !== undefined ? ` The server asked to wait ${retryAfterMs} ms.` : ''} Wait and retry, send fewer requests at once, or raise the deployment's quota.`,
      retryAfterMs !== undefined ? { retryAfterMs } : {},
    );
  }
  return mapOpenAIError(error, { ...context, isOpenAIHost: false });
}
