import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLanguage } from './extract-code.js';

/** What the sandbox could enforce on this machine, probed once per process. */
export interface SandboxSupport {
  /** `unshare -rn` works: the child gets an empty network namespace (no interfaces but loopback, which is down). */
  networkIsolation: boolean;
  /** `prlimit` is available: address-space and file-size limits are applied. */
  resourceLimits: boolean;
  /** The Python interpreter's real path (pyenv/asdf shims resolved), or undefined when there is no python3. */
  python: string | undefined;
  /** The Node.js binary running LLM Lab. */
  node: string;
}

let support: SandboxSupport | undefined;

/** Probes (once) what isolation this machine offers: `unshare -rn`, `prlimit`, and the Python interpreter. */
export function sandboxSupport(): SandboxSupport {
  if (support) return support;
  const works = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return result.error === undefined && result.status === 0;
  };
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 });
  support = {
    networkIsolation: process.platform === 'linux' && works('unshare', ['-rn', 'true']),
    resourceLimits: process.platform === 'linux' && works('prlimit', ['--as=1073741824', '--', 'true']),
    python: python.status === 0 && python.stdout.trim() !== '' ? python.stdout.trim() : undefined,
    node: process.execPath,
  };
  return support;
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  language: CodeLanguage;
  source: string;
  /** Wall-time limit; the whole process group is killed (SIGKILL) when it passes. */
  timeoutMs: number;
  /** Memory limit in MiB: address space for Python (prlimit --as), V8 heap for Node (--max-old-space-size). */
  memoryMb: number;
  /** `isolated` runs the child in an empty network namespace; when that is impossible, `isolated` throws and `best-effort` runs without it. */
  network: 'isolated' | 'best-effort' | 'allow';
  signal?: AbortSignal;
}

/** How a program run ended. */
export interface ProgramOutcome {
  exitCode: number | null;
  /** The signal that ended it (SIGKILL after a timeout). */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the child ran without network access. */
  networkIsolated: boolean;
  /**
   * True when the program ran to its last line: the harness that runs it reported this run's
   * random token after the program returned. An exit before that (`sys.exit`, `SystemExit`,
   * `os._exit`, `unittest.main()`, `process.exit`) leaves it false, whatever the exit code.
   */
  ranToEnd: boolean;
}

const MAX_CAPTURE = 64 * 1024;

/**
 * The file descriptor the harness reports on. Not stdout: the program may print anything, or
 * more than is captured, and cannot write this run's token without knowing it.
 */
const REPORT_FD = 3;

/**
 * Runs `program.py` as a module named `program` (not `__main__`: a `__main__` guard does not run,
 * as in OpenAI's human-eval, which execs the program), and writes the token it read from stdin to
 * fd 3 only when the program returned. The token is never in the program's file or environment.
 */
const PYTHON_HARNESS = `import os, sys, types


def _run():
    token = sys.stdin.buffer.readline()
    path = sys.argv[1]
    with open(path, 'rb') as file:
        code = compile(file.read(), path, 'exec')
    module = types.ModuleType('program')
    module.__file__ = path
    sys.modules['program'] = module
    sys.argv = [path]
    exec(code, module.__dict__)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os.write(${REPORT_FD}, token)


_run()
`;

/** Node's counterpart: requires `program.cjs` (so `require.main !== module` in it), then reports. */
const NODE_HARNESS = `'use strict';
const { readFileSync, writeSync } = require('node:fs');
const token = readFileSync(0);
const path = process.argv[2];
process.argv.splice(1, 1);
require(path);
writeSync(${REPORT_FD}, token);
`;

/** The command line running a program file through its harness, wrapped in `unshare -rn` and `prlimit` where available. */
function commandFor(options: RunProgramOptions, harness: string, file: string, sandbox: SandboxSupport): { command: string; args: string[]; isolated: boolean } {
  let inner: string[];
  if (options.language === 'python') {
    if (!sandbox.python) throw new Error('code-exec needs python3 on the PATH to run Python code; install Python 3 or use language: javascript.');
    // -I: isolated mode (no user site-packages, no PYTHON* variables); -B: no .pyc files.
    inner = [sandbox.python, '-I', '-B', harness, file];
  } else {
    inner = [sandbox.node, `--max-old-space-size=${options.memoryMb}`, harness, file];
  }
  if (sandbox.resourceLimits) {
    const limits = [`--fsize=${16 * 1024 * 1024}`, '--core=0'];
    // V8 reserves far more address space than it uses, so an --as limit would break Node; its heap flag limits it instead.
    if (options.language === 'python') limits.push(`--as=${options.memoryMb * 1024 * 1024}`);
    inner = ['prlimit', ...limits, '--', ...inner];
  }
  const isolate = options.network !== 'allow' && sandbox.networkIsolation;
  if (options.network === 'isolated' && !sandbox.networkIsolation) {
    throw new Error(
      "code-exec could not isolate the network ('unshare -rn' is unavailable: not Linux, or user namespaces are disabled). Run where it works, or set network: best-effort to run without isolation.",
    );
  }
  const full = isolate ? ['unshare', '-rn', ...inner] : inner;
  return { command: full[0] as string, args: full.slice(1), isolated: isolate };
}

/**
 * Runs untrusted code in a child process: a fresh temporary working folder (removed afterwards),
 * a minimal environment, no network where `unshare -rn` works, memory and file-size limits where
 * `prlimit` exists, and a wall-time limit after which the child's whole process group is killed.
 * A small harness runs the program and reports a random per-run token on fd 3 once the program
 * has returned (`ranToEnd`), so an early exit cannot pass for a finished run.
 * This is containment for benchmark code, not a security boundary against a determined attacker:
 * the child can still read files the user running LLM Lab can read, and code written against the
 * harness itself (reading its frames) is not prevented, as in OpenAI's human-eval.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramOutcome> {
  const sandbox = sandboxSupport();
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-code-'));
  try {
    const python = options.language === 'python';
    const file = join(dir, python ? 'program.py' : 'program.cjs');
    const harness = join(dir, python ? 'harness.py' : 'harness.cjs');
    await writeFile(file, options.source);
    await writeFile(harness, python ? PYTHON_HARNESS : NODE_HARNESS);
    const { command, args, isolated } = commandFor(options, harness, file, sandbox);
    const token = randomBytes(16).toString('hex');
    const startedAt = performance.now();
    return await new Promise<ProgramOutcome>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: dir,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8', PYTHONHASHSEED: '0' },
      });
      let stdout = '';
      let stderr = '';
      let report = '';
      let timedOut = false;
      const append = (current: string, chunk: Buffer) => (current.length >= MAX_CAPTURE ? current : (current + chunk.toString('utf8')).slice(0, MAX_CAPTURE));
      child.stdout?.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
      child.stderr?.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
      (child.stdio[REPORT_FD] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => (report = append(report, chunk)));
      // The harness reads the token first thing; a child that dies before reading it must not fail the write loudly.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(`${token}\n`);
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, options.timeoutMs);
      const onAbort = () => killGroup();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        reject(new Error(`code-exec could not start ${command}: ${error.message}`));
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        // Children that outlived the main process (same group) are killed too.
        killGroup();
        const ranToEnd = report.split('\n').includes(token);
        resolve({ exitCode, signal, timedOut, stdout, stderr, durationMs: performance.now() - startedAt, networkIsolated: isolated, ranToEnd });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
