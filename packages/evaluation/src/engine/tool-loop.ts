import { pathToFileURL } from 'node:url';
import {
  assistantMessageOf,
  ConfigError,
  type ChatMessage,
  type GenerateRequest,
  type GenerateResponse,
  type ToolCall,
  type ToolResultPart,
} from '@llm-lab/core';
import type { CompiledPrompt, ToolLoopSettings } from '../prompts/compile-prompts.js';

/** What a tool implementation receives besides its arguments. */
export interface ToolCallContext {
  /** The call being answered (id, name, arguments as the model wrote them). */
  call: ToolCall;
  /** The case's row fields. */
  vars: Record<string, unknown>;
  caseId: string;
  /** Aborted when the run is cancelled. */
  signal?: AbortSignal;
}

/**
 * A tool implementation: an exported function of the tool module named like the tool. It gets
 * the parsed arguments and returns the result (a string is sent as it is, anything else as JSON);
 * a throw becomes a tool result with `isError: true` and the error's message.
 */
export type ToolImplementation = (args: unknown, context: ToolCallContext) => unknown;

/** The tool module's functions by tool name. */
export type ToolImplementations = Readonly<Record<string, ToolImplementation>>;

/** What a tool loop produced: the last answer, and the conversation that led to it. */
export interface ToolLoopOutcome {
  /** The last response, with usage, latency, cost and attempts summed over every call of the loop. */
  response: GenerateResponse;
  /** The whole conversation: the prompt, each assistant turn with its calls, each tool message, the last answer. */
  transcript: ChatMessage[];
  /** Every tool call the model made, in order, across all turns. */
  toolCalls: ToolCall[];
  /** Tool rounds run (turns whose calls were answered). */
  steps: number;
}

const modules = new Map<string, Promise<ToolImplementations>>();

async function importToolModule(settings: ToolLoopSettings): Promise<ToolImplementations> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(settings.moduleFile).href)) as Record<string, unknown>;
  } catch (error) {
    const typescript = /\.(?:c|m)?tsx?$/.test(settings.moduleFile) ? ' Node.js cannot load TypeScript directly: compile it to JavaScript (ESM).' : '';
    throw new ConfigError({ path: settings.path, message: `could not import the tool module ${settings.moduleFile}: ${(error as Error).message}.${typescript}`, cause: error });
  }
  // `export default { get_weather() {…} }` and named exports both work; named ones win.
  const fromDefault = typeof exports.default === 'object' && exports.default !== null ? (exports.default as Record<string, unknown>) : {};
  const functions: Record<string, ToolImplementation> = {};
  for (const [name, value] of Object.entries({ ...fromDefault, ...exports })) {
    if (typeof value === 'function' && name !== 'default') functions[name] = value as ToolImplementation;
  }
  if (Object.keys(functions).length === 0) {
    throw new ConfigError({
      path: settings.path,
      message: `the tool module ${settings.moduleFile} exports no functions. Export one function per tool, named like the tool: export async function get_weather({ city }) { ... }.`,
    });
  }
  return functions;
}

/** The tool module of a prompt, imported once per file. A failed import is a ConfigError at `prompts[i].toolModule`. */
export function loadToolModule(settings: ToolLoopSettings): Promise<ToolImplementations> {
  let loaded = modules.get(settings.moduleFile);
  if (!loaded) {
    loaded = importToolModule(settings);
    modules.set(settings.moduleFile, loaded);
    loaded.catch(() => modules.delete(settings.moduleFile));
  }
  return loaded;
}

/** Imports every prompt's tool module before the run starts, so a broken module stops it with a ConfigError at once. */
export async function preloadToolModules(prompts: readonly CompiledPrompt[]): Promise<void> {
  for (const prompt of prompts) if (prompt.toolLoop) await loadToolModule(prompt.toolLoop);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Runs one call with its implementation; every failure becomes an error result the model (and the transcript) sees. */
async function answerCall(call: ToolCall, tools: ToolImplementations, settings: ToolLoopSettings, context: Omit<ToolCallContext, 'call'>): Promise<ToolResultPart> {
  const result = (text: string, isError = false): ToolResultPart => ({ type: 'tool-result', toolCallId: call.id, name: call.name, result: text, ...(isError ? { isError } : {}) });
  const implementation = Object.hasOwn(tools, call.name) ? tools[call.name] : undefined;
  if (!implementation) {
    return result(`no implementation of tool '${call.name}' in ${settings.specifier} (it exports: ${Object.keys(tools).join(', ')})`, true);
  }
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (error) {
    return result(`the arguments of '${call.name}' are not valid JSON (${messageOf(error)}): ${call.arguments}`, true);
  }
  try {
    const value = await implementation(args, { ...context, call });
    return result(typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
  } catch (error) {
    return result(`tool '${call.name}' failed: ${messageOf(error)}`, true);
  }
}

/** `latest` with the usage, latency, cost and attempts of every response of the loop added up. */
function summed(responses: readonly GenerateResponse[], latest: GenerateResponse): GenerateResponse {
  const sum = (pick: (response: GenerateResponse) => number | undefined) => responses.reduce((total, response) => total + (pick(response) ?? 0), 0);
  const costs = responses.map((response) => response.cost);
  return {
    ...latest,
    usage: {
      ...latest.usage,
      inputTokens: sum((response) => response.usage.inputTokens),
      outputTokens: sum((response) => response.usage.outputTokens),
      totalTokens: sum((response) => response.usage.totalTokens),
    },
    latencyMs: sum((response) => response.latencyMs),
    ...(latest.queueMs !== undefined ? { queueMs: sum((response) => response.queueMs) } : {}),
    ...(costs.every((cost) => cost !== undefined)
      ? { cost: { inputUsd: sum((r) => r.cost?.inputUsd), outputUsd: sum((r) => r.cost?.outputUsd), totalUsd: sum((r) => r.cost?.totalUsd) } }
      : {}),
    attempts: sum((response) => response.attempts ?? 1),
    cached: responses.every((response) => response.cached === true),
    warnings: responses.flatMap((response) => response.warnings),
  };
}

/** Options of {@link runToolLoop}. */
export interface ToolLoopOptions {
  /** The first request (the rendered prompt with its tools). */
  request: GenerateRequest;
  /** Makes one model call (the engine's, streaming or not). */
  call: (request: GenerateRequest) => Promise<GenerateResponse>;
  settings: ToolLoopSettings;
  vars: Record<string, unknown>;
  caseId: string;
  signal?: AbortSignal;
}

/**
 * The tool loop of one case: the model answers; while it calls tools (and fewer than
 * `maxSteps` rounds ran), each call is answered by the tool module's function of that name and
 * the conversation goes back to the model. The last answer is what gets scored. When the limit is
 * reached and the model still calls tools, those calls are not run, and a warning says so. A
 * failed model call rejects (the engine records it as the case's error).
 */
export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopOutcome> {
  const { settings } = options;
  const tools = await loadToolModule(settings);
  const transcript: ChatMessage[] = [...options.request.messages];
  const responses: GenerateResponse[] = [];
  const toolCalls: ToolCall[] = [];
  let steps = 0;
  for (;;) {
    const response = await options.call({ ...options.request, messages: [...transcript] });
    responses.push(response);
    transcript.push(assistantMessageOf(response));
    const calls = response.toolCalls ?? [];
    toolCalls.push(...calls);
    if (calls.length === 0) break;
    if (steps >= settings.maxSteps) {
      const last = summed(responses, response);
      last.warnings.push({
        type: 'other',
        message: `the tool loop stopped after maxToolSteps (${settings.maxSteps}) rounds while the model still called tools (${calls.map((call) => call.name).join(', ')}); those calls were not run and the last answer was scored as it is.`,
      });
      return { response: last, transcript, toolCalls, steps };
    }
    const context = { vars: options.vars, caseId: options.caseId, ...(options.signal ? { signal: options.signal } : {}) };
    const results: ToolResultPart[] = [];
    for (const call of calls) results.push(await answerCall(call, tools, settings, context));
    transcript.push({ role: 'tool', content: results });
    steps++;
  }
  return { response: summed(responses, responses.at(-1) as GenerateResponse), transcript, toolCalls, steps };
}

/** A case's answer as the engine records it: the response, and with tool calls, the conversation and the calls. */
export interface AnsweredCase {
  response: GenerateResponse;
  /** Set when the model called tools: the whole conversation (stored as the result's `prompt`). */
  transcript?: ChatMessage[];
  /** Every tool call the model made (empty when none). */
  toolCalls: ToolCall[];
}

/**
 * Answers one case: through the tool loop when the prompt has a tool module, else with one call.
 * Either way, when the model called tools the transcript holds the conversation with its calls.
 */
export async function answerCase(
  settings: ToolLoopSettings | undefined,
  request: GenerateRequest,
  call: (request: GenerateRequest) => Promise<GenerateResponse>,
  datasetCase: { id: string; vars: Record<string, unknown> },
  signal?: AbortSignal,
): Promise<AnsweredCase> {
  if (settings) {
    const loop = await runToolLoop({ request, call, settings, vars: datasetCase.vars, caseId: datasetCase.id, ...(signal ? { signal } : {}) });
    return loop.toolCalls.length > 0 ? { response: loop.response, transcript: loop.transcript, toolCalls: loop.toolCalls } : { response: loop.response, toolCalls: [] };
  }
  const response = await call(request);
  const toolCalls = response.toolCalls ?? [];
  return toolCalls.length > 0 ? { response, transcript: [...request.messages, assistantMessageOf(response)], toolCalls } : { response, toolCalls };
}
