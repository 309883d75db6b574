import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { buildProgram, extractCode, meanPassAtK, passAtK, passAtKFromResults, runProgram, sandboxSupport } from '../src/index.js';
import { build, caseOf, hasSharedDatasets, sharedJsonl } from './evaluators-helpers.js';

interface HumanEvalRow {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}

const sandbox = sandboxSupport();
const pythonIt = sandbox.python ? it : it.skip;
const isolatedIt = sandbox.python && sandbox.networkIsolation ? it : it.skip;
if (!sandbox.python) console.warn('Skipping Python code-exec tests: python3 is not on the PATH.');
if (!sandbox.networkIsolation) console.warn("Skipping the network-isolation test: 'unshare -rn' does not work here.");

/** A small HumanEval-format problem of our own, so the feature is covered without ../shared. */
const ownProblem: HumanEvalRow = {
  task_id: 'Own/0',
  prompt: 'def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(2, 3)\n    5\n    """\n',
  canonical_solution: '    return a + b\n',
  test: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n',
  entry_point: 'add',
};

/** Four HumanEval-format problems of our own (test/fixtures/code/humaneval-own.jsonl). */
const ownProblems = readFileSync(new URL('./fixtures/code/humaneval-own.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as HumanEvalRow);

/**
 * Completions that would "pass" if passing meant exiting with code 0: each stops the program
 * before check() has run to its end. OpenAI's human-eval harness fails all of them.
 */
const EXPLOITS: ReadonlyArray<[string, string]> = [
  ['sys.exit(0) in the body', '    import sys\n    sys.exit(0)\n'],
  ['sys.exit(0) after the function', '    return None\n\n\nimport sys\nsys.exit(0)\n'],
  ['raise SystemExit in the body', '    raise SystemExit\n'],
  ['raise SystemExit(0) after the function', '    pass\n\n\nraise SystemExit(0)\n'],
  ['unittest.main() under a __main__ guard', '    pass\n\n\nif __name__ == "__main__":\n    import unittest\n    unittest.main()\n'],
  ['unittest.main() after the function', '    pass\n\n\nimport unittest\nunittest.main()\n'],
  ['os._exit(0) in the body', '    import os\n    os._exit(0)\n'],
  // The token is in neither the program's file, its environment nor what is left of stdin.
  [
    'echoing its own file, environment and stdin to the report descriptor',
    "    import os, sys\n    seen = open(__file__, 'rb').read() + open('/proc/self/environ', 'rb').read() + sys.stdin.buffer.read()\n    os.write(3, seen.replace(b'\\0', b'\\n') + b'\\n')\n    os._exit(0)\n",
  ],
];

/** Runs `task` over `items` with at most `limit` at once, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const network = sandbox.networkIsolation ? 'isolated' : 'best-effort';
const codeExec = (extra: Record<string, unknown> = {}) => build({ type: 'code-exec', network, timeoutMs: 20_000, ...extra });
const run = (extra: Record<string, unknown>, output: string, row: object) =>
  codeExec(extra).evaluate({ output, vars: row as Record<string, unknown>, case: caseOf(row as Record<string, unknown>) });

describe('extractCode and buildProgram', () => {
  it('takes the language-tagged fenced block, else the first block, else an unclosed fence, else the raw text', () => {
    expect(extractCode('Here:\n```js\nx\n```\n```python\ny = 1\n```', 'python')).toBe('y = 1\n');
    expect(extractCode('```\nz = 2\n```', 'python')).toBe('z = 2\n');
    expect(extractCode('Sure:\n```python\ndef f():\n    return 1', 'python')).toBe('def f():\n    return 1');
    expect(extractCode('    return a + b\n', 'python')).toBe('    return a + b\n');
  });

  it('joins prompt + completion + test + check(entry_point), skipping a prompt the completion repeats', () => {
    const parts = { language: 'python' as const, prompt: 'def f():\n', completion: '    return 1\n', test: 'def check(c): assert c() == 1', entryPoint: 'f' };
    expect(buildProgram(parts)).toBe('def f():\n    return 1\n\n\ndef check(c): assert c() == 1\n\ncheck(f)\n');
    expect(buildProgram({ ...parts, completion: 'def f():\n    return 1\n' })).toBe('def f():\n    return 1\n\n\ndef check(c): assert c() == 1\n\ncheck(f)\n');
  });
});

describe('code-exec (Python)', () => {
  pythonIt('passes a correct body, a fenced full function, and fails a wrong one with the assertion in the reason', async () => {
    expect(await run({}, ownProblem.canonical_solution, ownProblem)).toMatchObject({ passed: true, score: 1 });
    const fenced = 'Here is the function:\n```python\ndef add(a, b):\n    return b + a\n```';
    expect((await run({}, fenced, ownProblem)).passed).toBe(true);
    const wrong = await run({}, '    return a - b\n', ownProblem);
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toMatch(/^the tests failed \(exit code 1\): '.*AssertionError/);
  });

  pythonIt('kills a program that runs past the time limit, including the children it started', async () => {
    const forever = '    import subprocess, sys, time\n    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])\n    while True:\n        time.sleep(0.1)\n';
    // Waiting for the 60-second child (it holds the output pipes) would outlive this test's 30 s timeout.
    const result = await run({ timeoutMs: 1500 }, forever, ownProblem);
    expect(result).toMatchObject({ passed: false });
    expect(result.reason).toMatch(/^the program ran longer than 1500 ms and was killed/);
  });

  pythonIt('limits memory: allocating far beyond memoryMb fails', async () => {
    const hog = '    block = bytearray(2 * 1024 * 1024 * 1024)\n    return a + b\n';
    const result = await run({ memoryMb: 256 }, hog, ownProblem);
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(/MemoryError|killed/);
  });

  isolatedIt('blocks the network: a connection attempt fails inside the sandbox', async () => {
    const probe = await runProgram({
      language: 'python',
      source: 'import socket\ntry:\n    socket.create_connection(("1.1.1.1", 53), timeout=3)\n    print("CONNECTED")\nexcept OSError as error:\n    print("BLOCKED", error)\n',
      timeoutMs: 20_000,
      memoryMb: 256,
      network: 'isolated',
    });
    expect(probe.networkIsolated).toBe(true);
    expect(probe.stdout).toMatch(/^BLOCKED/);
  });

  pythonIt('runs in a fresh temporary working folder with a minimal environment', async () => {
    process.env.LLM_LAB_TEST_SECRET = 'should-not-leak';
    try {
      const probe = await runProgram({ language: 'python', source: 'import os\nprint(os.getcwd())\nprint(os.environ.get("LLM_LAB_TEST_SECRET"))\n', timeoutMs: 20_000, memoryMb: 256, network });
      const [cwd, secret] = probe.stdout.trim().split('\n');
      expect(cwd).toMatch(/llm-lab-code-/);
      expect(secret).toBe('None');
    } finally {
      delete process.env.LLM_LAB_TEST_SECRET;
    }
  });
});

describe('code-exec passes only when the checks ran to the end', () => {
  pythonIt('canonical solutions of our own HumanEval-format problems pass', async () => {
    for (const problem of ownProblems) {
      const result = await run({}, problem.canonical_solution, problem);
      expect({ task: problem.task_id, passed: result.passed, reason: result.reason }).toMatchObject({ task: problem.task_id, passed: true });
    }
  });

  pythonIt.each(EXPLOITS)('%s fails every problem', async (_name, completion) => {
    for (const problem of ownProblems) {
      const result = await run({}, completion, problem);
      expect({ task: problem.task_id, passed: result.passed }).toEqual({ task: problem.task_id, passed: false });
    }
  });

  pythonIt('an exit with code 0 before the end is a failure that says so; a main guard does not run, as in human-eval', async () => {
    const [problem] = ownProblems as [HumanEvalRow];
    const exited = await run({}, '    import sys\n    sys.exit(0)\n', problem);
    expect(exited.reason).toMatch(/^the program exited with code 0 before its tests ran to the end/);
    const guarded = await run({}, '    pass\n\n\nif __name__ == "__main__":\n    import unittest\n    unittest.main()\n', problem);
    expect(guarded.reason).toMatch(/^the tests failed \(exit code 1\): '.*AssertionError/);
    // A correct solution with a self-test under the guard still passes: the guard is skipped, check() runs.
    const selfTested = await run({}, `${problem.canonical_solution}\n\nif __name__ == "__main__":\n    raise SystemExit(running_max([1]))\n`, problem);
    expect(selfTested.passed).toBe(true);
  });

  pythonIt('a program that prints more than the captured output still passes', async () => {
    const [problem] = ownProblems as [HumanEvalRow];
    const chatty = `    print("x" * 200000)\n${problem.canonical_solution}`;
    expect((await run({}, chatty, problem)).passed).toBe(true);
  });

  it('JavaScript: process.exit(0) before the checks is a failure', async () => {
    const row = {
      prompt: 'function add(a, b) {\n',
      test: "const assert = require('node:assert');\nfunction check(candidate) {\n  assert.strictEqual(candidate(2, 3), 5);\n}",
      entry_point: 'add',
    };
    const result = await run({ language: 'javascript' }, '  process.exit(0);\n}\n', row);
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(/^the program exited with code 0 before its tests ran to the end/);
  });

  (hasSharedDatasets && sandbox.python ? it : it.skip)('HumanEval (shared): all 164 canonical solutions pass; the exploits fail real problems', async () => {
    const rows = sharedJsonl<HumanEvalRow>('humaneval/HumanEval.jsonl.gz');
    expect(rows).toHaveLength(164);
    const canonical = await mapLimit(rows, 3, async (row) => ({ task: row.task_id, passed: (await run({}, row.canonical_solution, row)).passed }));
    expect(canonical.filter((entry) => !entry.passed)).toEqual([]);
    // HumanEval/0 (has_close_elements): always answering False is wrong for the close pairs in its tests.
    expect((await run({}, '    return False\n', rows[0] as HumanEvalRow)).passed).toBe(false);
    // Every eighth problem (21 of them) keeps the test quick; each exploit is independent of the problem.
    const sample = rows.filter((_row, index) => index % 8 === 0);
    for (const [name, completion] of EXPLOITS) {
      const outcomes = await mapLimit(sample, 3, async (row) => ({ task: row.task_id, passed: (await run({}, completion, row)).passed }));
      expect({ name, passing: outcomes.filter((entry) => entry.passed).map((entry) => entry.task) }).toEqual({ name, passing: [] });
    }
  }, 600_000);
});

describe('code-exec (JavaScript)', () => {
  it('runs node with the test and check call', async () => {
    const row = {
      prompt: 'function add(a, b) {\n',
      test: "const assert = require('node:assert');\nfunction check(candidate) {\n  assert.strictEqual(candidate(2, 3), 5);\n}",
      entry_point: 'add',
    };
    expect((await run({ language: 'javascript' }, '  return a + b;\n}\n', row)).passed).toBe(true);
    const wrong = await run({ language: 'javascript' }, '```js\nfunction add(a, b) { return a * b; }\n```', { ...row, prompt: '' });
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toMatch(/AssertionError|Expected values to be strictly equal/);
  });

  it('rejects bad options at their field', () => {
    expect(() => build({ type: 'code-exec', language: 'ruby' })).toThrow("evaluators[0].language: expected 'python' or 'javascript', got 'ruby' (a string).");
    expect(() => build({ type: 'code-exec', timeoutMs: -5 })).toThrow(/^evaluators\[0\]\.timeoutMs: /);
  });
});

describe('pass@k (Chen et al. 2021)', () => {
  it('matches the closed form 1 − C(n−c, k) / C(n, k) on hand-computed cases', () => {
    // n=5, c=2, k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10.
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12);
    // k=1 is the pass rate c/n.
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(4, 0, 2)).toBe(0);
    expect(passAtK(4, 3, 2)).toBe(1);
    // Large n stays finite and exact: n=200, c=1, k=100 → 1 − C(199,100)/C(200,100) = 100/200.
    expect(passAtK(200, 1, 100)).toBeCloseTo(0.5, 12);
    expect(() => passAtK(2, 1, 3)).toThrow(RangeError);
  });

  it('averages over problems and groups result rows by case, skipping problems with too few samples', () => {
    expect(meanPassAtK([{ n: 5, c: 2 }, { n: 10, c: 3 }], 1)).toBeCloseTo((0.4 + 0.3) / 2, 12);
    const rows = [
      { caseId: 'a', passed: true },
      { caseId: 'a', passed: false },
      { caseId: 'a', passed: null },
      { caseId: 'b', passed: true },
    ];
    // a: n=3, c=1, k=2 → 1 − C(2,2)/C(3,2) = 2/3; b has 1 sample < k.
    expect(passAtKFromResults(rows, 2)).toEqual({ k: 2, value: 2 / 3, problems: 1, skipped: 1 });
  });
});
