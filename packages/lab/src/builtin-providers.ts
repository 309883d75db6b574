import { ProviderRegistry, mockProvider } from '@llm-lab/core';
import { anthropicProvider } from '@llm-lab/provider-anthropic';
import { azureProvider } from '@llm-lab/provider-azure';
import { googleProvider } from '@llm-lab/provider-google';
import { localProviders } from '@llm-lab/provider-local';
import { openaiProvider } from '@llm-lab/provider-openai';

/** A registry holding every provider that ships with LLM Lab. */
export function createDefaultRegistry(): ProviderRegistry {
  const registry = new ProviderRegistry()
    .register(mockProvider)
    .register(openaiProvider)
    .register(anthropicProvider)
    .register(googleProvider)
    .register(azureProvider);
  for (const provider of localProviders) registry.register(provider);
  return registry;
}
