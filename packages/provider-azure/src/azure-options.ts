import { ConfigError, parseProviderConfig, providerConfigFields, registerSecret, resolveApiKey, z } from '@llm-lab/core';
import { DEFAULT_OPENAI_BATCH_SETTINGS, openaiBatchConfigSchema } from '@llm-lab/openai-compatible';

/**
 * The default `api-version`: 2024-10-21, the latest generally available (GA) version of Azure
 * OpenAI's dated data-plane inference API. It supports `max_completion_tokens`, JSON schema
 * response formats and streaming usage. Set `apiVersion` for a preview version (e.g. for
 * features or models that need one).
 */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/**
 * The `config:` block of an `azure:<deployment>` provider (and the settings of `createAzure`).
 * Give the resource as `endpoint` or `resourceName` (or the `AZURE_OPENAI_ENDPOINT` variable),
 * and a credential: `apiKey` (or `AZURE_OPENAI_API_KEY`), a static Entra ID `bearerToken`, or,
 * from code, `azureADTokenProvider`. `timeoutMs` (default 600,000), `maxRetries` (default 0:
 * LLM Lab's provider manager owns retries), `headers`, `pricing` (overriding the model table, e.g.
 * for a regional or provisioned price) and `contextWindow` are the common provider fields.
 */
export const azureConfigSchema = z
  .object({
    /** The resource endpoint, e.g. `https://my-resource.openai.azure.com`. Default: `AZURE_OPENAI_ENDPOINT`. */
    endpoint: z.url().optional(),
    /** The resource name; the endpoint becomes `https://<resourceName>.openai.azure.com`. */
    resourceName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/i, 'a resource name (letters, digits and hyphens), e.g. my-resource')
      .optional(),
    /** The `api-version` query parameter. Default {@link AZURE_DEFAULT_API_VERSION}. */
    apiVersion: z.string().regex(/^\d{4}-\d{2}-\d{2}(-preview)?$|^preview$|^latest$/, 'an Azure OpenAI API version such as 2024-10-21').default(AZURE_DEFAULT_API_VERSION),
    /** Sent as `api-key`. Default: `AZURE_OPENAI_API_KEY`. Not used with a bearer token. */
    ...providerConfigFields('apiKey'),
    /** A Microsoft Entra ID access token, sent as `Authorization: Bearer`. For long runs prefer `azureADTokenProvider` (from code), which refreshes. */
    bearerToken: z.string().min(1).optional(),
    /**
     * The OpenAI model the deployment serves (e.g. `gpt-4o-mini`), for prices, context window and
     * reasoning-model handling. Default: the deployment name itself.
     */
    model: z.string().min(1).optional(),
    /** Deployment name → model, for a provider made in code that serves several deployments. */
    deployments: z.record(z.string(), z.string().min(1)).optional(),
    ...providerConfigFields('timeoutMs', 'maxRetries', 'headers'),
    /**
     * How requests travel: `node` (default) through Node's http/https with keep-alive agents, a
     * fraction of the CPU per call of `fetch` (Node's built-in fetch, or a global one you installed).
     */
    httpClient: z.enum(['node', 'fetch']).default('node'),
    /** Which field carries `maxTokens`. Default `max_completion_tokens` (API versions from 2024-10-21; required by reasoning models). */
    maxTokensParameter: z.enum(['max_completion_tokens', 'max_tokens']).default('max_completion_tokens'),
    ...providerConfigFields('pricing', 'contextWindow'),
    /**
     * How `batchGenerate` runs: concurrent calls (default), or Azure OpenAI's Batch API (`mode:
     * api`, what a batch run uses), which needs a **global-batch** deployment: a standard
     * deployment refuses batch jobs. Same fields and defaults as OpenAI's `batch` block.
     */
    batch: openaiBatchConfigSchema.default(DEFAULT_OPENAI_BATCH_SETTINGS),
  })
  .strict();

/** The settings as written (before defaults). */
export type AzureProviderSettings = z.input<typeof azureConfigSchema>;

/** Returns a fresh Microsoft Entra ID access token (e.g. from `@azure/identity`'s `getBearerTokenProvider`). */
export type AzureADTokenProvider = () => Promise<string>;

/** How requests are authenticated. */
export type AzureCredential = { type: 'api-key'; apiKey: string } | { type: 'bearer'; tokenProvider: AzureADTokenProvider };

/** Settings after defaults and environment variables are applied. */
export interface ResolvedAzureSettings extends Omit<z.output<typeof azureConfigSchema>, 'apiKey' | 'bearerToken' | 'endpoint' | 'resourceName'> {
  /** The resource endpoint without a trailing slash. */
  endpoint: string;
  credential: AzureCredential;
}

/**
 * Validates the settings and fills in defaults: the endpoint from `resourceName` or
 * `AZURE_OPENAI_ENDPOINT`, the key from `AZURE_OPENAI_API_KEY`. A token provider or bearer token
 * takes the place of a key. Throws a ConfigError naming what is missing or conflicting. Keys and
 * tokens are registered as secrets, so they are redacted from logs and error messages.
 */
export function resolveAzureSettings(
  settings: unknown,
  options: { providerId?: string; env?: NodeJS.ProcessEnv; azureADTokenProvider?: AzureADTokenProvider } = {},
): ResolvedAzureSettings {
  const providerId = options.providerId ?? 'azure';
  const env = options.env ?? process.env;
  const parsed = parseProviderConfig(azureConfigSchema, settings, providerId);
  const { apiKey, bearerToken, endpoint, resourceName, ...rest } = parsed;
  if (endpoint !== undefined && resourceName !== undefined) {
    throw new ConfigError({
      path: 'config.endpoint',
      message: `Provider ${providerId} has both 'endpoint' and 'resourceName'; give one (resourceName '${resourceName}' means endpoint https://${resourceName}.openai.azure.com).`,
    });
  }
  const resolvedEndpoint = endpoint ?? (resourceName ? `https://${resourceName}.openai.azure.com` : env.AZURE_OPENAI_ENDPOINT || undefined);
  if (resolvedEndpoint === undefined) {
    throw new ConfigError({
      path: 'config.endpoint',
      message: `No Azure OpenAI endpoint for provider ${providerId}. Set 'endpoint' (e.g. https://my-resource.openai.azure.com) or 'resourceName' in the provider's config, or the AZURE_OPENAI_ENDPOINT environment variable.`,
    });
  }
  const tokenSources = [options.azureADTokenProvider !== undefined, bearerToken !== undefined].filter(Boolean).length;
  if (tokenSources > 1 || (tokenSources === 1 && apiKey !== undefined)) {
    throw new ConfigError({
      path: 'config.apiKey',
      message: `Provider ${providerId} was given more than one credential (apiKey, bearerToken, azureADTokenProvider); give exactly one.`,
    });
  }
  let credential: AzureCredential;
  if (options.azureADTokenProvider) {
    credential = { type: 'bearer', tokenProvider: options.azureADTokenProvider };
  } else if (bearerToken !== undefined) {
    registerSecret(bearerToken);
    credential = { type: 'bearer', tokenProvider: () => Promise.resolve(bearerToken) };
  } else {
    const key = resolveApiKey({
      providerId,
      configured: apiKey,
      envVars: ['AZURE_OPENAI_API_KEY'],
      env,
      required: true,
      keyName: 'Azure OpenAI credential',
      hint: "Or give a Microsoft Entra ID 'bearerToken' (from code, pass azureADTokenProvider to createAzure).",
    });
    credential = { type: 'api-key', apiKey: key };
  }
  return { ...rest, endpoint: resolvedEndpoint.replace(/\/+$/, ''), credential };
}
