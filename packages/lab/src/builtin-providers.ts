import { ProviderRegistry, mockProvider } from '@llm-lab/core';
import { openaiProvider } from '@llm-lab/provider-openai';

/** A registry holding every provider that ships with LLM Lab. */
export function createDefaultRegistry(): ProviderRegistry {
  return new ProviderRegistry().register(mockProvider).register(openaiProvider);
}
