import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mapPromptfooConfig, type PromptfooIssue } from '../src/index.js';

const base = { prompts: ['Say {{ word }}'], tests: [{ vars: { word: 'hi' } }] };
const messages = (issues: PromptfooIssue[]) => issues.map((issue) => `${issue.severity} ${issue.path}: ${issue.message}`);

describe('mapping promptfoo providers', () => {
  it('maps ids and config keys onto provider entries and sampling settings', () => {
    const { config, issues } = mapPromptfooConfig(
      {
        ...base,
        providers: [
          'openai:gpt-4o',
          { id: 'openai:chat:gpt-4o-mini', config: { apiHost: 'proxy.example.com', apiKeyEnvar: 'MY_KEY', top_p: 0.5, stop: 'END', seed: 3 } },
          { 'anthropic:messages:claude-3-5-haiku-latest': { config: { max_tokens: 100, apiBaseUrl: 'http://127.0.0.1:9/' } } },
          { id: 'ollama:chat:llama3.2', label: 'local', config: { num_predict: 50, temperature: 0.1 } },
          'google:gemini-2.0-flash',
          'echo',
        ],
      },
      tmpdir(),
    );
    expect(issues).toEqual([]);
    expect(config.providers).toEqual([
      'openai:gpt-4o',
      { id: 'openai:gpt-4o-mini', config: { baseURL: 'https://proxy.example.com/v1', apiKey: '${MY_KEY}' }, settings: { topP: 0.5, stop: ['END'], seed: 3 } },
      { id: 'anthropic:claude-3-5-haiku-latest', config: { baseURL: 'http://127.0.0.1:9/' }, settings: { maxTokens: 100 } },
      { id: 'ollama:llama3.2', label: 'local', config: {}, settings: { maxTokens: 50, temperature: 0.1 } },
      'google:gemini-2.0-flash',
      { id: 'mock:echo', config: { mode: 'echo' } },
    ]);
  });

  it('reports what does not map: errors for what changes answers, warnings for what does not', () => {
    const { issues } = mapPromptfooConfig(
      {
        ...base,
        providers: ['vertex:gemini-1.5-pro', { id: 'openai:gpt-4o', config: { response_format: { type: 'json_object' }, cost: 0.1 } }, 'openai:completion:davinci-002', 'python:provider.py'],
        sharing: true,
        scenarios: [],
        evaluateOptions: { maxConcurrency: 3, delay: 100, generateSuggestions: true },
      },
      tmpdir(),
    );
    expect(messages(issues)).toEqual([
      'warning sharing: ignored: results are not shared; they stay in LLM Lab storage',
      "error scenarios: 'scenarios' has no LLM Lab equivalent",
      "warning providers[0]: vertex: is run through Google's Gemini API (an API key, GEMINI_API_KEY), not Vertex AI's service-account auth",
      "error providers[1].config.response_format: provider config key 'response_format' has no LLM Lab equivalent; remove it or set it in an llm-lab.yaml provider entry",
      'warning providers[1].config.cost: ignored: it does not change the answers LLM Lab scores',
      expect.stringMatching(/^error providers\[2\]: provider 'openai:completion:davinci-002' has no LLM Lab equivalent/),
      expect.stringMatching(/^error providers\[3\]: provider 'python:provider.py' has no LLM Lab equivalent/),
      'warning evaluateOptions.delay: ignored: it changes no pass/fail',
      "error evaluateOptions.generateSuggestions: 'generateSuggestions' has no LLM Lab equivalent",
    ]);
  });
});

describe('mapping promptfoo tests', () => {
  it('names the CSV row and column of a cell it cannot map, and reads __threshold and __description', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-pf-map-'));
    await writeFile(join(dir, 'tests.csv'), 'word,__expected,__expected2,__threshold,__description,__prefix\nhi,contains:hi,python:output == "hi",,first,\nyo,"similar(0.85):yo",,0.5,second,x\n');
    const { config, issues } = mapPromptfooConfig({ prompts: ['Say {{ word }}'], providers: ['openai:gpt-4o-mini'], tests: 'file://tests.csv' }, dir);
    expect(messages(issues)).toEqual([
      "error tests.csv row 2: __prefix: CSV column '__prefix' has no LLM Lab equivalent",
      "error tests.csv row 3: __prefix: CSV column '__prefix' has no LLM Lab equivalent",
      expect.stringMatching(/^error tests\.csv row 2: __expected2: assertion type 'python' is not supported/),
    ]);
    const rows = config.dataset.rows as Array<Record<string, unknown>>;
    expect(rows[1]).toEqual({ word: 'yo', __id: 'test-2', __description: 'second', __threshold: 0.5, assert: [{ type: 'similar', value: 'yo', threshold: 0.85 }] });
  });

  it('reads file:// vars, defaultTest from a file, YAML test files and a grader given as { text, embedding }', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-lab-pf-map-'));
    await writeFile(join(dir, 'doc.md'), '# Notes\n');
    await writeFile(join(dir, 'data.yaml'), 'a: 1\n');
    await writeFile(join(dir, 'default.yaml'), 'options:\n  provider:\n    text: openai:chat:gpt-4o\n    embedding: openai:embedding:text-embedding-3-small\nassert:\n  - type: similar\n    value: "{{ word }}"\n');
    await writeFile(join(dir, 'tests.yaml'), '- vars: { word: hi, notes: file://doc.md, data: file://data.yaml }\n  assert: [{ type: llm-rubric, value: greets, metric: tone }, { type: g-eval, value: clear, threshold: 0.5 }]\n');
    const { config, issues } = mapPromptfooConfig({ prompts: ['{{ word }}'], providers: ['openai:gpt-4o-mini'], defaultTest: 'file://default.yaml', tests: ['file://tests.yaml'] }, dir);
    expect(issues).toEqual([]);
    expect(config.evaluators).toEqual([{ type: 'similar', value: '{{ word }}', threshold: 0.75, provider: 'openai:text-embedding-3-small' }]);
    expect(config.dataset.rows).toEqual([
      {
        word: 'hi',
        notes: '# Notes\n',
        data: '{"a":1}',
        __id: 'test-1',
        assert: [
          { type: 'llm-rubric', rubric: 'greets', judge: 'openai:gpt-4o', name: 'tone' },
          { type: 'g-eval', criteria: 'clear', judge: 'openai:gpt-4o', threshold: 3 },
        ],
      },
    ]);
    expect(config.dataset.rowChecks).toEqual({ field: 'assert', judge: 'openai:gpt-4o', embedding: 'openai:text-embedding-3-small' });
  });
});
