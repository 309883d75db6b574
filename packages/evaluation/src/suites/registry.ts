import { ConfigError } from '@llm-lab/core';
import { gsm8kSuite, humanevalSuite, mtBenchSuite, truthfulqaSuite } from './generation-suites.js';
import { advbenchSuite, xstestSuite } from './task-suites.js';
import { arcSuite, hellaswagSuite, mmluSuite, truthfulqaMc1Suite } from './multiple-choice-suites.js';
import type { BenchmarkSuite } from './types.js';

/** The built-in suites, in the order `llm-lab bench list` shows them. */
export const benchmarkSuites: readonly BenchmarkSuite[] = [
  mmluSuite,
  gsm8kSuite,
  truthfulqaSuite,
  truthfulqaMc1Suite,
  arcSuite,
  hellaswagSuite,
  humanevalSuite,
  advbenchSuite,
  xstestSuite,
  mtBenchSuite,
];

/** The built-in suites. */
export function listSuites(): readonly BenchmarkSuite[] {
  return benchmarkSuites;
}

/** A suite by name (case-insensitive; `mtbench`/`mt_bench` accepted). Throws a ConfigError listing the suites when unknown. */
export function getSuite(name: string): BenchmarkSuite {
  const wanted = name.toLowerCase().replace(/[_\s]/g, '-');
  const suite = benchmarkSuites.find((candidate) => candidate.name === wanted || candidate.name.replace('-', '') === wanted);
  if (!suite) {
    throw new ConfigError({
      path: 'suite',
      message: `unknown benchmark suite '${name}'. Known suites: ${benchmarkSuites.map((candidate) => candidate.name).join(', ')} (see 'llm-lab bench list').`,
    });
  }
  return suite;
}
