// The `batch:` block of an OpenAI or Azure OpenAI provider: provider-utils' shared schema, under
// the names provider-openai has always exported (re-exported, so its type stays provider-utils').
export {
  batchConfigSchema as openaiBatchConfigSchema,
  DEFAULT_BATCH_SETTINGS as DEFAULT_OPENAI_BATCH_SETTINGS,
  type BatchSettings as OpenAIBatchSettings,
} from '@llm-lab/provider-utils';
