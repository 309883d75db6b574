export { compileTemplate, stringifyValue, type CompiledTemplate } from './template.js';
export { compilePrompts, type CompiledPrompt } from './compile-prompts.js';
