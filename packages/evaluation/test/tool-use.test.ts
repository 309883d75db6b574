import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isLLMLabError, MockProvider, type ChatMessage, type MockProviderConfig, type ToolCall } from '@llm-lab/core';
import { compilePrompts, loadEvaluators, runEvaluation, type EngineProvider, type Evaluator } from '../src/index.js';
import { caseOf } from './evaluators-helpers.js';
import { makeConfig, MemoryStore, ObservedProvider, tempDir } from './helpers.js';

const call = (name: string, args: unknown, id = `call_${name}`): ToolCall => ({ id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) });

async function evaluator(entry: Record<string, unknown>, baseDir?: string): Promise<Evaluator> {
  const [built] = await loadEvaluators([{ type: 'tool-call', ...entry }], baseDir ? { baseDir } : {});
  return built as Evaluator;
}

async function score(entry: Record<string, unknown>, toolCalls: ToolCall[], vars: Record<string, unknown> = {}, baseDir?: string) {
  const built = await evaluator(entry, baseDir);
  return built.evaluate({ output: '', vars, case: caseOf(vars), toolCalls });
}

const weather = { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } };

describe('tool-call evaluator', () => {
  it('passes the right function with exactly the expected arguments, whatever their key order', async () => {
    const result = await score({ expected: [weather] }, [call('get_weather', '{"unit":"celsius","city":"Paris"}')]);
    expect(result).toMatchObject({ passed: true, score: 1, reason: '1 expected tool call made with matching arguments' });
  });

  it('names the call and the argument that differ', async () => {
    const wrongCity = await score({ expected: [weather] }, [call('get_weather', { city: 'Pariss', unit: 'celsius' })]);
    expect(wrongCity.passed).toBe(false);
    expect(wrongCity.reason).toContain(`call 1 (get_weather): argument 'city' is "Pariss", expected "Paris"`);
    const missing = await score({ expected: [weather] }, [call('get_weather', { city: 'Paris' })]);
    expect(missing.reason).toContain(`call 1 (get_weather): argument 'unit' is missing`);
    const extraArgument = await score({ expected: [weather] }, [call('get_weather', { city: 'Paris', unit: 'celsius', days: 3 })]);
    expect(extraArgument.reason).toContain(`unexpected argument 'days'`);
    const wrongTool = await score({ expected: [weather] }, [call('get_time', {})]);
    expect(wrongTool.reason).toContain(`call 1 (get_time): called 'get_time', expected 'get_weather'`);
    const broken = await score({ expected: [weather] }, [call('get_weather', '{"city": ')]);
    expect(broken.reason).toContain('call 1 (get_weather): its arguments are not valid JSON');
    const none = await score({ expected: [weather] }, []);
    expect(none).toMatchObject({ passed: false, score: 0 });
    expect(none.reason).toContain('expected call 1 (get_weather) was not made (the model made no tool calls');
  });

  it('checks parallel calls in order, or in any order with order: unordered', async () => {
    const expected = [weather, { name: 'get_time', arguments: { zone: 'CET' } }];
    const swapped = [call('get_time', { zone: 'CET' }), call('get_weather', weather.arguments)];
    const ordered = await score({ expected }, swapped);
    expect(ordered.passed).toBe(false);
    expect(ordered.reason).toContain("call 1 (get_time): called 'get_time', expected 'get_weather'");
    expect(await score({ expected, order: 'unordered' }, swapped)).toMatchObject({ passed: true, score: 1 });

    const half = await score({ expected, order: 'unordered' }, [call('get_time', { zone: 'UTC' }), call('get_weather', weather.arguments)]);
    expect(half).toMatchObject({ passed: false, score: 0.5 });
    expect(half.reason).toContain(`expected call 2 (get_time): call 1 (get_time): argument 'zone' is "UTC", expected "CET"`);
  });

  it('fails calls nobody expected unless allowExtra, and then finds the expected ones among them in order', async () => {
    const made = [call('search', { q: 'x' }), call('get_weather', weather.arguments)];
    const strict = await score({ expected: [weather], order: 'unordered' }, made);
    expect(strict.passed).toBe(false);
    expect(strict.reason).toContain('call 1 (search) was not expected');
    expect(await score({ expected: [weather], allowExtra: true }, made)).toMatchObject({ passed: true });
    expect(await score({ expected: [], allowExtra: false }, [])).toMatchObject({ passed: true, reason: 'no tool calls, as expected' });
  });

  it('matches arguments by JSON Schema and names the failing argument', async () => {
    const argumentsSchema = { type: 'object', required: ['city'], properties: { city: { type: 'string', minLength: 2 }, days: { type: 'integer' } } };
    expect(await score({ expected: [{ name: 'get_weather', argumentsSchema }] }, [call('get_weather', { city: 'Oslo', days: 2 })])).toMatchObject({ passed: true });
    const wrong = await score({ expected: [{ name: 'get_weather', argumentsSchema }] }, [call('get_weather', { city: 'Oslo', days: 1.5 })]);
    expect(wrong.reason).toContain("call 1 (get_weather): its arguments do not match the schema: argument 'days' must be integer");
  });

  it('runs a custom check exported by a module, with its reason', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'checks.js'),
      "export function cityIsCapital(call) { return call.arguments.city === 'Paris' ? true : { passed: false, reason: `${call.arguments.city} is not a capital` }; }\n",
    );
    const entry = { expected: [{ name: 'get_weather', check: 'cityIsCapital' }], module: './checks.js' };
    expect(await score(entry, [call('get_weather', { city: 'Paris' })], {}, dir)).toMatchObject({ passed: true });
    const wrong = await score(entry, [call('get_weather', { city: 'Lyon' })], {}, dir);
    expect(wrong.reason).toContain("call 1 (get_weather): check 'cityIsCapital' failed: Lyon is not a capital");

    const unknown = await evaluator({ expected: [{ name: 'get_weather', check: 'nope' }], module: './checks.js' }, dir).catch((error: unknown) => error);
    expect(isLLMLabError(unknown) && (unknown as { path?: string }).path).toBe('evaluators[0].expected[0].check');
    expect((unknown as Error).message).toContain("exports no function 'nope' (its functions: cityIsCapital)");
  });

  it('reads the expected calls from a row field (a list or JSON text) and says when a case has none', async () => {
    expect(await score({}, [call('get_weather', weather.arguments)], { expected_tool_calls: [weather] })).toMatchObject({ passed: true });
    expect(await score({ field: 'calls' }, [call('get_weather', weather.arguments)], { calls: JSON.stringify([weather]) })).toMatchObject({ passed: true });
    await expect(score({}, [], {})).rejects.toThrow("the case has no expected tool calls: set 'expected' on the evaluator, or give each row a field 'expected_tool_calls'");
  });
});

describe('json-schema on structured output', () => {
  it("checks the output against the prompt's responseFormat schema when the evaluator has none", async () => {
    const [built] = await loadEvaluators([{ type: 'json-schema' }]);
    const responseFormat = { type: 'json' as const, schema: { type: 'object', required: ['answer'], properties: { answer: { type: 'number' } } } };
    const input = (output: string) => ({ output, vars: {}, case: caseOf({}), responseFormat });
    expect(await built!.evaluate(input('{"answer": 4}'))).toMatchObject({ passed: true, reason: "output matches the prompt's responseFormat schema" });
    expect((await built!.evaluate(input('{"answer": "four"}'))).reason).toBe("output does not match the prompt's responseFormat schema: /answer must be number");
    expect(() => built!.evaluate({ output: '{}', vars: {}, case: caseOf({}) })).toThrow('json-schema has no schema to check against');
  });
});

describe('prompt tools', () => {
  it('renders tools, toolChoice and responseFormat into each request, with a row field adding its own tools', () => {
    const config = makeConfig({
      dataset: { rows: [{ q: 'x' }] },
      prompts: [{ template: '{{q}}', tools: [{ name: 'get_weather', parameters: { type: 'object' } }], toolsField: 'extra', toolChoice: 'required', responseFormat: { type: 'json' } }],
    });
    const [prompt] = compilePrompts(config.prompts);
    expect(prompt!.requestFields({ extra: '[{"name":"get_time"}]' })).toEqual({
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }, { name: 'get_time' }],
      toolChoice: 'required',
      responseFormat: { type: 'json' },
    });
    expect(() => prompt!.requestFields({ extra: [{ name: 'bad name!' }] })).toThrow("row field 'extra'[0].name: a tool name is letters, digits, _ or -");
  });

  it('refuses a toolChoice naming a tool the prompt does not have, and a missing tool module, naming the path', async () => {
    expect(() => makeConfig({ dataset: { rows: [{}] }, prompts: [{ template: 'x', tools: [{ name: 'a' }], toolChoice: { type: 'tool', name: 'b' } }] })).toThrow(
      /prompts[.[]0[\]]?.*toolChoice.*name|toolChoice names a tool that is not in this prompt's tools/,
    );
    const config = makeConfig({ dataset: { rows: [{}] }, prompts: [{ template: 'x', tools: [{ name: 'a' }], toolModule: './missing.js' }] });
    const error = (() => {
      try {
        compilePrompts(config.prompts, { baseDir: '/nowhere' });
      } catch (caught) {
        return caught as { path?: string; message: string };
      }
      return undefined;
    })();
    expect(error?.path).toBe('prompts[0].toolModule');
    expect(error?.message).toContain('tool module /nowhere/missing.js does not exist');
  });
});

const TOOLS_MODULE = `
export function get_weather({ city }) {
  if (city === 'Atlantis') throw new Error('no weather station in ' + city);
  return { city, celsius: city.length * 3 };
}
export async function to_fahrenheit({ celsius }) { return String(celsius * 9 / 5 + 32) + ' F'; }
`;

const weatherTools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'to_fahrenheit', parameters: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] } },
];

async function runLoop(rows: Array<Record<string, unknown>>, mock: MockProviderConfig, prompt: Record<string, unknown> = {}, evaluators: Array<Record<string, unknown>> = []) {
  const dir = await tempDir();
  await writeFile(join(dir, 'tools.js'), TOOLS_MODULE);
  const observed = new ObservedProvider(new MockProvider('tools', mock));
  const provider: EngineProvider = { label: 'mock:tools', provider: observed, settings: {} };
  const config = makeConfig({
    dataset: { rows },
    prompts: [{ template: '{{question}}', tools: weatherTools, toolModule: './tools.js', ...prompt }],
    evaluators: evaluators as never,
  });
  const store = new MemoryStore();
  const outcome = await runEvaluation({ runId: 'r', config, baseDir: dir, providers: [provider], store });
  return { outcome, results: store.results('r').sort((a, b) => a.caseIndex - b.caseIndex), requests: observed.requests };
}

describe('tool loop', () => {
  const script = [[{ name: 'get_weather', arguments: { city: 'Oslo' } }], [{ name: 'to_fahrenheit', arguments: { celsius: 12 } }]];

  it('answers two rounds of tool calls from the tool module, scores the last answer and keeps the whole conversation', async () => {
    const { results, requests } = await runLoop(
      [{ question: 'How warm is Oslo in F?', script }],
      { mode: 'tool-result', toolCallsField: 'script' },
      {},
      [{ type: 'equals', value: '53.6 F' }, { type: 'tool-call', expected: [{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'to_fahrenheit' }] }],
    );
    expect(requests).toHaveLength(3);
    expect(requests[0]!.tools?.map((tool) => tool.name)).toEqual(['get_weather', 'to_fahrenheit']);
    const [result] = results;
    expect(result).toMatchObject({ output: '53.6 F', passed: true, errorKind: null });
    const transcript = result!.prompt as ChatMessage[];
    expect(transcript.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    expect(transcript[2]).toEqual({ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1_1', name: 'get_weather', result: '{"city":"Oslo","celsius":12}' }] });
    expect(transcript[3]).toEqual({ role: 'assistant', content: [{ type: 'tool-call', id: 'call_2_1', name: 'to_fahrenheit', arguments: '{"celsius":12}' }] });
    expect(transcript[5]).toEqual({ role: 'assistant', content: '53.6 F' });
    // Usage covers the three calls of the loop.
    expect(result!.outputTokens).toBe(2 + 2 + 2);
  });

  it('turns a throwing tool, an unknown tool and broken arguments into error results the model sees', async () => {
    const { results } = await runLoop(
      [
        { question: 'Atlantis?', script: [[{ name: 'get_weather', arguments: { city: 'Atlantis' } }]] },
        { question: 'Broken', script: [[{ name: 'get_weather', arguments: '{"city": ' }, { name: 'no_such_tool', arguments: {} }]] },
      ],
      { mode: 'tool-result', toolCallsField: 'script' },
      { tools: [...weatherTools, { name: 'no_such_tool' }] },
    );
    const atlantis = (results[0]!.prompt as ChatMessage[])[2];
    expect(atlantis).toEqual({ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1_1', name: 'get_weather', result: "tool 'get_weather' failed: no weather station in Atlantis", isError: true }] });
    expect(results[0]!.output).toBe("tool 'get_weather' failed: no weather station in Atlantis");
    const broken = (results[1]!.prompt as ChatMessage[])[2] as { content: Array<{ result: string; isError?: boolean }> };
    expect(broken.content[0]!.result).toMatch(/^the arguments of 'get_weather' are not valid JSON/);
    expect(broken.content[1]).toMatchObject({ isError: true, result: "no implementation of tool 'no_such_tool' in ./tools.js (it exports: get_weather, to_fahrenheit)" });
  });

  it('stops after maxToolSteps rounds, scores the last answer and warns that calls were left unrun', async () => {
    const { results, requests } = await runLoop([{ question: 'loop', script }], { mode: 'tool-result', toolCallsField: 'script' }, { maxToolSteps: 1 });
    expect(requests).toHaveLength(2);
    const [result] = results;
    expect(result!.output).toBe('');
    expect(JSON.stringify(result!.warnings)).toContain('the tool loop stopped after maxToolSteps (1) rounds while the model still called tools (to_fahrenheit)');
  });

  it('refuses a tool module that exports no functions before any call, naming the prompt', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'empty.js'), 'export const answer = 42;\n');
    const config = makeConfig({ dataset: { rows: [{ question: 'x' }] }, prompts: [{ template: '{{question}}', tools: weatherTools, toolModule: './empty.js' }] });
    const observed = new ObservedProvider(new MockProvider('tools', {}));
    await expect(runEvaluation({ runId: 'r', config, baseDir: dir, providers: [{ label: 'm', provider: observed, settings: {} }], store: new MemoryStore() })).rejects.toMatchObject({
      path: 'prompts[0].toolModule',
    });
    expect(observed.requests).toHaveLength(0);
  });

  it('streams tool calls from the mock the same way', async () => {
    const mock = new MockProvider('tools', { toolCalls: [[{ name: 'get_weather', arguments: { city: 'Oslo' } }, { name: 'get_weather', arguments: { city: 'Rome' } }]] });
    const parts = [];
    for await (const part of mock.streamGenerate({ messages: [{ role: 'user', content: 'x' }], tools: weatherTools })) parts.push(part);
    expect(parts.filter((part) => part.type === 'tool-call').map((part) => (part as { toolCall: ToolCall }).toolCall)).toEqual([
      { id: 'call_1_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      { id: 'call_1_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);
    const finish = parts.at(-1) as { type: 'finish'; response: { finishReason: string; toolCalls: ToolCall[] } };
    expect(finish.response.finishReason).toBe('tool-calls');
    expect(mock.getModelInfo().capabilities.tools).toBe(true);
    // Without tools in the request, or with toolChoice none, the mock answers as its mode says.
    expect((await mock.generate({ messages: [{ role: 'user', content: 'x' }] })).toolCalls).toBeUndefined();
    expect((await mock.generate({ messages: [{ role: 'user', content: 'x' }], tools: weatherTools, toolChoice: 'none' })).text).toBe('x');
    await expect(mock.generate({ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'other' }] })).rejects.toThrow("turn 1 calls 'get_weather', which the request does not offer (its tools: other)");
  });
});
