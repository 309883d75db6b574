import { ProviderRegistry, mockProvider } from '@llm-lab/core';

/**
 * A registry holding every provider that ships with LLM Lab. Only the offline `mock` is loaded
 * up front; each vendor's package (and its SDK) is imported when a run first needs it
 * (`await registry.load(ids)`), which keeps start-up fast.
 */
export function createDefaultRegistry(): ProviderRegistry {
  return new ProviderRegistry()
    .register(mockProvider)
    .registerLoader('openai', async () => (await import('@llm-lab/provider-openai')).openaiProvider)
    .registerLoader('anthropic', async () => (await import('@llm-lab/provider-anthropic')).anthropicProvider)
    .registerLoader('google', async () => (await import('@llm-lab/provider-google')).googleProvider)
    .registerLoader('azure', async () => (await import('@llm-lab/provider-azure')).azureProvider)
    .registerLoader(['ollama', 'openai-compatible', 'gguf'], async () => (await import('@llm-lab/provider-local')).localProviders);
}
