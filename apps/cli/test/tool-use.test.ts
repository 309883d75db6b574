import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from './helpers.js';

const TOOL_USE = fileURLToPath(new URL('../../../examples/tool-use/llm-lab.yaml', import.meta.url));

interface StoredResult {
  caseId: string;
  output: string | null;
  passed: boolean | null;
  errorKind: string | null;
  prompt: Array<{ role: string; content: unknown }>;
  scores: Array<{ name: string; passed: boolean; reason?: string }>;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'llm-lab-tool-use-'));
});

describe('llm-lab run (examples/tool-use)', () => {
  it('runs the two-step tool loop offline, scores the calls and the structured answer, and stores each conversation', async () => {
    const dataDir = join(work, 'db');
    const run = await runCli(['run', TOOL_USE, '--data-dir', dataDir], { cwd: work });
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/mock:tool-caller\s+4\s+3\s+0\s+75\.0%/);
    expect(run.stdout).toContain('tool-call 75.0%');
    const runId = /Run (run-\S+) completed/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();

    const shown = await runCli(['runs', 'show', runId as string, '--json', '--data-dir', dataDir], { cwd: work });
    expect(shown.code).toBe(0);
    const results = (JSON.parse(shown.stdout) as { results: StoredResult[] }).results;
    const oslo = results.find((result) => result.caseId === 'oslo') as StoredResult;
    expect(oslo).toMatchObject({ output: '{"fahrenheit":53.6}', passed: true, errorKind: null });
    // system, user, then two rounds of (assistant calls, tool results), then the final answer.
    expect(oslo.prompt.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    expect(oslo.prompt[3]?.content).toEqual([{ type: 'tool-result', toolCallId: 'call_1_1', name: 'get_weather', result: '{"city":"Oslo","celsius":12}' }]);
    expect(oslo.prompt[4]?.content).toEqual([{ type: 'tool-call', id: 'call_2_1', name: 'to_fahrenheit', arguments: '{"celsius":12}' }]);

    // The misspelled city: the tool's error went back to the model, and the reason names the argument.
    const paris = results.find((result) => result.caseId === 'paris') as StoredResult;
    expect(paris.passed).toBe(false);
    expect(paris.prompt[3]?.content).toEqual([
      expect.objectContaining({ isError: true, result: "tool 'get_weather' failed: no weather station for 'Pariss' (known: Oslo, Lisbon, Cairo, Paris)" }),
    ]);
    const toolCall = paris.scores.find((score) => score.name === 'tool-call');
    expect(toolCall?.reason).toContain(`call 1 (get_weather): argument 'city' is "Pariss", expected "Paris"`);
    expect(toolCall?.reason).toContain('expected call 2 (to_fahrenheit) was not made');
    expect(paris.scores.find((score) => score.name === 'json-schema')?.reason).toMatch(/^output is not valid JSON/);
  }, 180_000);
});
