export { compileTemplate, stringifyValue, type CompiledTemplate } from './template.js';
export { compilePrompts, DEFAULT_MAX_TOOL_STEPS, type CompiledPrompt, type CompilePromptsOptions, type PromptRequestFields, type ToolLoopSettings } from './compile-prompts.js';
