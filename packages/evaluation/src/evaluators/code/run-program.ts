import { spawn, spawnSync } from 'node:child_process';
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
}

const MAX_CAPTURE = 64 * 1024;

/** The command line for a program file, wrapped in `unshare -rn` and `prlimit` where available. */
function commandFor(options: RunProgramOptions, file: string, sandbox: SandboxSupport): { command: string; args: string[]; isolated: boolean } {
  let inner: string[];
  if (options.language === 'python') {
    if (!sandbox.python) throw new Error('code-exec needs python3 on the PATH to run Python code; install Python 3 or use language: javascript.');
    // -I: isolated mode (no user site-packages, no PYTHON* variables); -B: no .pyc files.
    inner = [sandbox.python, '-I', '-B', file];
  } else {
    inner = [sandbox.node, `--max-old-space-size=${options.memoryMb}`, file];
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
 * This is containment for benchmark code, not a security boundary against a determined attacker:
 * the child can still read files the user running LLM Lab can read.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramOutcome> {
  const sandbox = sandboxSupport();
  const dir = await mkdtemp(join(tmpdir(), 'llm-lab-code-'));
  try {
    const file = join(dir, options.language === 'python' ? 'program.py' : 'program.cjs');
    await writeFile(file, options.source);
    const { command, args, isolated } = commandFor(options, file, sandbox);
    const startedAt = performance.now();
    return await new Promise<ProgramOutcome>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8', PYTHONHASHSEED: '0' },
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const append = (current: string, chunk: Buffer) => (current.length >= MAX_CAPTURE ? current : (current + chunk.toString('utf8')).slice(0, MAX_CAPTURE));
      child.stdout.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
      child.stderr.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
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
        resolve({ exitCode, signal, timedOut, stdout, stderr, durationMs: performance.now() - startedAt, networkIsolated: isolated });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
