export { createAzure, azureProvider, type AzureProvider, type CreateAzureOptions } from './azure-provider.js';
export {
  azureConfigSchema,
  resolveAzureSettings,
  AZURE_DEFAULT_API_VERSION,
  type AzureProviderSettings,
  type AzureADTokenProvider,
  type AzureCredential,
  type ResolvedAzureSettings,
} from './azure-options.js';
export { mapAzureError, describeContentFilterResult, type AzureErrorContext, type AzureContentFilterResult } from './azure-error.js';
