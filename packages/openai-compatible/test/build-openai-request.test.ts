import { describe, expect, it } from '@jest/globals';
import { ProviderError, type GenerateRequest } from '@llm-lab/core';
import { buildOpenAIRequest, JSON_MODE_INSTRUCTION, type OpenAIRequestDialect } from '../src/index.js';

const OPENAI: OpenAIRequestDialect = { maxTokensParameter: 'max_completion_tokens' };
const build = (request: Partial<GenerateRequest>, dialect: OpenAIRequestDialect = OPENAI, reasoning = false) =>
  buildOpenAIRequest({ request: { messages: [{ role: 'user', content: 'Weather?' }], ...request }, model: 'gpt-4o-mini', providerId: 'openai:gpt-4o-mini', dialect, reasoning });
const WEATHER = { name: 'get_weather', description: 'Weather for a city.', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true };

describe('buildOpenAIRequest', () => {
  it('sends tools as function tools (strict when asked, empty parameters by default) with each tool choice and parallel_tool_calls', () => {
    const { body } = build({ tools: [WEATHER, { name: 'now' }], toolChoice: 'required', parallelToolCalls: false });
    expect(body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city.', parameters: WEATHER.parameters, strict: true } },
      { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
    ]);
    expect(body.tool_choice).toBe('required');
    expect(body.parallel_tool_calls).toBe(false);
    expect(build({ tools: [WEATHER], toolChoice: { type: 'tool', name: 'get_weather' } }).body.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(build({ tools: [WEATHER] }).body).not.toHaveProperty('tool_choice');
    expect(build({}).body).not.toHaveProperty('tools');
  });

  it("asks for JSON schema output with its name, description and strict flag (the format's own, then providerOptions, then true)", () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    expect(build({ responseFormat: { type: 'json', schema, name: 'answer', description: 'The answer.', strict: false } }).body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'answer', description: 'The answer.', schema, strict: false },
    });
    expect(build({ responseFormat: { type: 'json', schema }, providerOptions: { strictJsonSchema: false } }).body.response_format).toMatchObject({ json_schema: { name: 'response', strict: false } });
    expect(build({ responseFormat: { type: 'json', schema } }).body.response_format).toMatchObject({ json_schema: { strict: true } });
  });

  it("in JSON mode, says 'JSON' first when no message does (OpenAI refuses json_object otherwise), and only then", () => {
    const plain = build({ responseFormat: { type: 'json' } }).body;
    expect(plain.response_format).toEqual({ type: 'json_object' });
    expect(plain.messages[0]).toEqual({ role: 'system', content: JSON_MODE_INSTRUCTION });
    const mentioned = build({ messages: [{ role: 'user', content: 'Reply in json.' }], responseFormat: { type: 'json' } }).body;
    expect(mentioned.messages).toEqual([{ role: 'user', content: 'Reply in json.' }]);
  });

  it('sends n above 1 only, and maxTokens in the dialect field', () => {
    expect(build({ n: 3, maxTokens: 50 }).body).toMatchObject({ n: 3, max_completion_tokens: 50 });
    expect(build({ n: 1 }).body).not.toHaveProperty('n');
    expect(build({ maxTokens: 50 }, { maxTokensParameter: 'max_tokens' }).body).toMatchObject({ max_tokens: 50 });
  });

  it('sends topK as top_k where the server has it, and warns where it does not', () => {
    expect(build({ topK: 40 }, { maxTokensParameter: 'max_tokens', topK: 'top_k' })).toEqual(expect.objectContaining({ warnings: [], body: expect.objectContaining({ top_k: 40 }) }));
    const openai = build({ topK: 40 });
    expect(openai.body).not.toHaveProperty('top_k');
    expect(openai.warnings).toEqual([expect.objectContaining({ type: 'unsupported-setting', setting: 'topK' })]);
  });

  it('leaves out the sampling settings reasoning models refuse, with a warning each', () => {
    const { body, warnings } = build({ temperature: 0.2, stop: ['\n'], seed: 7 }, OPENAI, true);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('stop');
    expect(body.seed).toBe(7);
    expect(warnings.map((warning) => warning.setting)).toEqual(['temperature', 'stop']);
  });

  it('refuses providerOptions by name: unknown ones for OpenAI, any for a server without them', () => {
    expect(() => build({ providerOptions: { reasoningEffort: 'extreme' } })).toThrow(/providerOptions\.reasoningEffort/);
    expect(build({ providerOptions: { reasoningEffort: 'low', serviceTier: 'flex' } }).body).toMatchObject({ reasoning_effort: 'low', service_tier: 'flex' });
    const refused = (() => {
      try {
        build({ providerOptions: { reasoningEffort: 'low' } }, { maxTokensParameter: 'max_tokens', providerOptions: 'none' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).message).toMatch(/accepts no providerOptions \(got reasoningEffort\)/);
  });
});
