// LLM Lab from code: build a config, run it, read the results back.
//   pnpm --filter @llm-lab/example-from-code start
// Offline: two mock models over the quickstart's dataset. Swap in `openai:gpt-4o-mini` (with
// OPENAI_API_KEY set) to benchmark a real model the same way.
import { fileURLToPath } from 'node:url';
import { createLab } from '@llm-lab/lab';

const dataset = fileURLToPath(new URL('../quickstart/capitals.jsonl', import.meta.url));

const lab = createLab(); // embedded storage in the project's .llm-lab, or DATABASE_URL
try {
  const report = await lab.run({
    description: 'capitals from code',
    providers: [
      { id: 'mock:strong', config: { mode: 'field', field: 'answer', accuracy: 0.95 } },
      { id: 'mock:baseline', config: { mode: 'field', field: 'answer', accuracy: 0.5 } },
    ],
    prompts: ['What is the capital of {{country}}? Answer with the city only.'],
    dataset: { path: dataset, idField: 'id' },
    evaluators: [{ type: 'equals', value: '{{answer}}', ignoreCase: true }],
  });

  for (const provider of report.providers) {
    const { lower, upper } = provider.accuracyInterval ?? {};
    console.log(`${provider.providerId}: ${(provider.accuracy * 100).toFixed(1)}% [${(lower * 100).toFixed(1)}%, ${(upper * 100).toFixed(1)}%]`);
  }
  // The run and its counts; results are read a page at a time, filtered in the database.
  const { run, counts } = await lab.getRun(report.runId);
  const wrong = [];
  for await (const result of lab.eachResult({ runId: run.id, filter: { outcome: 'failed' } })) wrong.push(`${result.providerId} ${result.caseId}`);
  console.log(`run ${run.id} ${run.status}: ${counts.results} results, wrong: ${wrong.join(', ') || 'none'}`);
} finally {
  await lab.close();
}
