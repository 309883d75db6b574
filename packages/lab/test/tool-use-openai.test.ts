import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parseConfig } from '@llm-lab/core';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import { parse } from 'yaml';
import { createLab, type Lab } from '../src/index.js';
import { storedResults } from './helpers.js';

jest.setTimeout(120_000);

const example = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/tool-use');

/**
 * The tool-use example run against OpenAI's wire format: the fake OpenAI server plays a model that
 * calls get_weather, then to_fahrenheit with what the tool answered, then answers in JSON. The
 * calls go through provider-openai and the official SDK, and the tools of examples/tool-use/tools.js
 * answer them.
 */
describe('a two-step tool loop on the fake OpenAI server', () => {
  let server: FakeOpenAIServer;
  let lab: Lab;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-tools-')) });
  });
  afterAll(async () => {
    await lab?.close();
    await server?.close();
  });

  it('runs every case through both tools and scores the calls and the structured answer', async () => {
    const raw = parse(await readFile(join(example, 'llm-lab.yaml'), 'utf8')) as Record<string, unknown>;
    const rows = (await readFile(join(example, 'weather.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { city: string; fahrenheit: number; expected_tool_calls: Array<{ arguments: Record<string, unknown> }> });
    // One case at a time, so the scripted replies meet their case: a call of each tool, then the answer.
    for (const [index, row] of rows.entries()) {
      server.enqueueReply({ toolCalls: [{ id: `call_w${index}`, name: 'get_weather', arguments: JSON.stringify({ city: row.city }) }] });
      server.enqueueReply({ toolCalls: [{ id: `call_f${index}`, name: 'to_fahrenheit', arguments: JSON.stringify(row.expected_tool_calls[1]!.arguments) }] });
      server.enqueueReply({ text: JSON.stringify({ fahrenheit: row.fahrenheit }) });
    }
    const config = parseConfig(
      { ...raw, providers: [{ id: 'openai:gpt-4o-mini', config: { baseURL: server.url, apiKey: 'sk-test-tools', maxRetries: 0 } }], run: { concurrency: 1 } },
      { baseDir: example },
    );

    const report = await lab.run(config, { noCache: true });

    // The mock script of the example misspells Paris on purpose; this model calls every tool right.
    const [summary] = report.providers;
    expect(summary?.errors).toBe(0);
    expect(summary?.passed).toBe(rows.length);
    expect(server.requests).toHaveLength(rows.length * 3);
    // The second request of each case sent back the first tool's result, as OpenAI's tool message.
    const second = server.describeRequest!(server.requests[1]!);
    expect(second.tools.map((tool) => tool.name)).toEqual(['get_weather', 'to_fahrenheit']);
    expect(second.messages.find((message) => message.toolCalls.length > 0)?.toolCalls).toEqual([
      { id: 'call_w0', name: 'get_weather', arguments: JSON.stringify({ city: rows[0]!.city }) },
    ]);
    expect(second.messages.flatMap((message) => message.toolResults)).toEqual([
      expect.objectContaining({ toolCallId: 'call_w0', result: JSON.stringify({ city: rows[0]!.city, celsius: 12 }) }),
    ]);
    // The final request asked for the structured answer's schema.
    expect(server.describeRequest!(server.requests[2]!).responseSchema).toEqual(expect.objectContaining({ required: ['fahrenheit'] }));
    const stored = await storedResults(lab, report.runId);
    expect(stored.every((result) => result.passed)).toBe(true);
  });
});
