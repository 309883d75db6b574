import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { extname, resolve } from 'node:path';
import { LLMLabError, sanitise } from '@llm-lab/core';
import type { Lab, ResultRecord, RunReport } from '@llm-lab/lab';
import { csvHeader, csvLine, failureReasons, jsonLine } from '@llm-lab/report';

/** The formats `--output` writes, chosen by the file's extension. */
export type ExportFormat = 'junit' | 'json' | 'csv';

/** The format of an `--output` file, from its extension; a clear error for any other. */
export function exportFormatOf(file: string): ExportFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.xml') return 'junit';
  if (extension === '.json' || extension === '.jsonl') return 'json';
  if (extension === '.csv') return 'csv';
  throw new LLMLabError(
    'config_output',
    `--output '${file}': the extension says the format, and '${extension || '(none)'}' is not one: use .xml (JUnit, for CI), .json (every result) or .csv (a spreadsheet).`,
  );
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
// XML 1.0 cannot carry most control characters even escaped: they are dropped.
 
const xml = (text: string) => text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

function outcomeOf(result: ResultRecord): 'passed' | 'failed' | 'errored' {
  if (result.errorKind !== null || result.passed === null) return 'errored';
  return result.passed ? 'passed' : 'failed';
}

/** Every line of every format passes through the sanitiser on its way to the file. */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(sanitise(text))) await once(stream, 'drain');
}

/**
 * Writes a finished run's results to `file`, reading them page by page (memory stays flat for any
 * run size): JUnit XML (one test suite per provider and prompt, one test case per result, a
 * failure with the evaluators' reasons, an error for a call that failed), JSON lines, or CSV.
 */
export async function exportResults(lab: Lab, report: RunReport, file: string): Promise<void> {
  const format = exportFormatOf(file);
  const path = resolve(file);
  const stream = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  const done = (async () => {
    // The rows are @llm-lab/report's, as `llm-lab export` writes them.
    if (format === 'csv') {
      const evaluators = [...new Set(report.providers.flatMap((summary) => summary.evaluators.map((evaluator) => evaluator.name)))];
      await write(stream, csvHeader(evaluators));
      for await (const result of lab.eachResult({ runId: report.runId })) await write(stream, csvLine(result, evaluators));
    } else if (format === 'json') {
      for await (const result of lab.eachResult({ runId: report.runId })) await write(stream, jsonLine(result));
    } else {
      await write(stream, `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(report.description ?? report.runId)}" tests="${report.totals.results}" failures="${report.totals.failed}" errors="${report.totals.errors}">\n`);
      for (const summary of report.providers) {
        const suite = `${summary.providerId}${summary.promptId === 'default' ? '' : ` (${summary.promptId})`}`;
        await write(stream, `  <testsuite name="${xml(suite)}" tests="${summary.results}" failures="${summary.failed}" errors="${summary.errors}">\n`);
        for await (const result of lab.eachResult({ runId: report.runId, filter: { providerId: summary.providerId, promptId: summary.promptId } })) {
          const name = `${result.caseId}${result.repeat > 0 ? ` #${result.repeat + 1}` : ''}`;
          const seconds = ((result.latencyMs ?? 0) / 1000).toFixed(3);
          const open = `    <testcase classname="${xml(suite)}" name="${xml(name)}" time="${seconds}"`;
          const outcome = outcomeOf(result);
          if (outcome === 'passed') await write(stream, `${open}/>\n`);
          else if (outcome === 'failed') {
            const reasons = failureReasons(result);
            await write(stream, `${open}>\n      <failure message="${xml(reasons.split('\n')[0] ?? 'failed')}">${xml(`${reasons}\n\noutput: ${result.output ?? ''}`)}</failure>\n    </testcase>\n`);
          } else {
            await write(stream, `${open}>\n      <error type="${xml(result.errorKind ?? 'error')}" message="${xml(result.errorMessage ?? 'the case did not run')}"/>\n    </testcase>\n`);
          }
        }
        await write(stream, '  </testsuite>\n');
      }
      await write(stream, '</testsuites>\n');
    }
    stream.end();
    await once(stream, 'finish');
  })();
  await Promise.race([done, failed]);
}
