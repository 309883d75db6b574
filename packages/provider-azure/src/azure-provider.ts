import { CONTRACT_VERSION, defineProvider, type ProviderPlugin } from '@llm-lab/core';
import { createNodeHttpFetch, OpenAICompatibleChatModel } from '@llm-lab/openai-compatible';
import { AzureOpenAI } from 'openai';
import { mapAzureError } from './azure-error.js';
import {
  resolveAzureSettings,
  type AzureADTokenProvider,
  type AzureProviderSettings,
  type ResolvedAzureSettings,
} from './azure-options.js';

/** Makes Azure OpenAI chat models, one per deployment, that share one SDK client (one connection pool). */
export interface AzureProvider {
  /** Same as {@link AzureProvider.chat}. */
  (deployment: string): OpenAICompatibleChatModel;
  /** A chat model for a deployment, e.g. `chat('gpt-4o-mini-prod')`; its id is `azure:<deployment>`. */
  chat(deployment: string): OpenAICompatibleChatModel;
  /** The SDK client shared by this provider's models. */
  readonly client: AzureOpenAI;
  /** The settings in force, without the credential. */
  readonly settings: Readonly<Omit<ResolvedAzureSettings, 'credential'> & { auth: 'api-key' | 'bearer' }>;
}

/** Options of {@link createAzure} that are not part of the `config:` block. */
export interface CreateAzureOptions {
  /** The provider name in ids (`<name>:<deployment>`). Default `azure`. */
  name?: string;
  /** Named in configuration errors. Default the name. */
  providerId?: string;
  /** Where `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_API_KEY` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Returns a Microsoft Entra ID access token, called before each request (e.g.
   * `getBearerTokenProvider(new DefaultAzureCredential(), 'https://cognitiveservices.azure.com/.default')`
   * from `@azure/identity`). Replaces the API key.
   */
  azureADTokenProvider?: AzureADTokenProvider;
}

/**
 * Creates an Azure OpenAI provider on the `openai` SDK's `AzureOpenAI` client. Calls go to
 * `<endpoint>/openai/deployments/<deployment>/chat/completions?api-version=<apiVersion>` with an
 * `api-key` header, or `Authorization: Bearer <token>` for Entra ID. Requests and responses are
 * mapped exactly as for OpenAI (the chat model is @llm-lab/openai-compatible's), and errors by
 * {@link mapAzureError}. Prices and model facts come from `model` (or `deployments[name]`), the
 * OpenAI model a deployment serves. Throws a ConfigError for invalid settings or a missing
 * endpoint or credential.
 *
 * ```ts
 * const azure = createAzure({ resourceName: 'my-resource', model: 'gpt-4o-mini' }); // key from AZURE_OPENAI_API_KEY
 * const response = await azure('my-gpt4o-mini-deployment').generate({ messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export function createAzure(settings: AzureProviderSettings = {}, options: CreateAzureOptions = {}): AzureProvider {
  const name = options.name ?? 'azure';
  const resolved = resolveAzureSettings(settings, {
    providerId: options.providerId ?? name,
    env: options.env ?? process.env,
    ...(options.azureADTokenProvider ? { azureADTokenProvider: options.azureADTokenProvider } : {}),
  });
  const { credential } = resolved;
  const client = new AzureOpenAI({
    // The resource's `/openai` base, given directly so that OPENAI_BASE_URL in the environment cannot interfere.
    baseURL: `${resolved.endpoint}/openai`,
    apiVersion: resolved.apiVersion,
    // '' (not undefined) keeps the SDK from also reading AZURE_OPENAI_API_KEY when a token is used.
    ...(credential.type === 'api-key' ? { apiKey: credential.apiKey } : { apiKey: '', azureADTokenProvider: credential.tokenProvider }),
    organization: null,
    project: null,
    timeout: resolved.timeoutMs,
    maxRetries: resolved.maxRetries,
    ...(resolved.headers ? { defaultHeaders: resolved.headers } : {}),
    // Failures are reported as ProviderErrors; the SDK's own console logging would repeat them.
    logLevel: 'off',
    ...(resolved.httpClient === 'node' ? { fetch: createNodeHttpFetch() } : {}),
  });
  const chat = (deployment: string) =>
    new OpenAICompatibleChatModel(deployment, {
      client,
      provider: name,
      factsModel: resolved.deployments?.[deployment] ?? resolved.model ?? deployment,
      settings: {
        timeoutMs: resolved.timeoutMs,
        baseURL: resolved.endpoint,
        isOpenAIHost: false,
        maxTokensParameter: resolved.maxTokensParameter,
        pricing: resolved.pricing,
        contextWindow: resolved.contextWindow,
        bufferedTransport: resolved.httpClient === 'node',
      },
      mapError: (error, context) => mapAzureError(error, { ...context, deployment, apiVersion: resolved.apiVersion }),
      identity: { deployment, apiVersion: resolved.apiVersion },
      // Azure's Batch API: OpenAI's, under the resource's /openai path, lines naming the deployment.
      batch: { settings: resolved.batch, endpoint: '/chat/completions' },
    });
  const { credential: _credential, ...visible } = resolved;
  return Object.assign((deployment: string) => chat(deployment), {
    chat,
    client,
    settings: Object.freeze({ ...visible, auth: credential.type }),
  });
}

/**
 * The `azure` provider family for LLM Lab's registry: `azure:<deployment>` ids, configured by the
 * provider's `config:` block (endpoint or resourceName, apiVersion, apiKey or bearerToken,
 * model, ...). Each provider made gets its own SDK client.
 */
export const azureProvider: ProviderPlugin = defineProvider({
  name: 'azure',
  contractVersion: CONTRACT_VERSION,
  description: 'Azure OpenAI deployments (azure:<deployment>), with an API key or a Microsoft Entra ID token.',
  // What the GPT-4o / GPT-4.1 deployments do; each model's own flags come from the model it serves.
  // batch: Azure's Batch API, for global-batch deployments (a standard deployment refuses the job).
  capabilities: { streaming: true, batch: true, jsonMode: true, jsonSchema: true, tools: true, parallelToolCalls: true, vision: true, logprobs: true, multipleChoices: true, reasoning: false, embeddings: false },
  paceConfigKeys: ['httpClient'],
  create: ({ model, config }) => createAzure(config, { providerId: `azure:${model}` }).chat(model),
});
