import { expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is tooling/pack-tests/test/pack-helpers.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the event loop (the fake servers answer from this process),
 * and resolves with its output; rejects with the command, exit code and output tail when it fails
 * or outlives `timeoutMs`.
 */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolvePromise({ stdout, stderr });
      const tail = (text: string) => text.trim().split('\n').slice(-30).join('\n');
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` in ${options.cwd} ${signal ? `was killed (${signal}, after ${options.timeoutMs ?? 240_000} ms)` : `exited with ${code}`}.\n` +
            `--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
        ),
      );
    });
  });
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Packs the workspace package in `packageDir` with `pnpm pack` and returns the tarball's path. */
export async function pnpmPack(packageDir: string, destination: string): Promise<string> {
  if (!existsSync(join(packageDir, 'dist'))) {
    throw new Error(`${packageDir} has no dist/ folder: build it first (pnpm exec turbo run build --filter=<package>).`);
  }
  await run('pnpm', ['pack', '--pack-destination', destination], { cwd: packageDir, timeoutMs: 120_000 });
  const tarballs = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`pnpm pack in ${packageDir} left ${tarballs.length} tarballs in ${destination}: ${tarballs.join(', ')}`);
  return join(destination, tarballs[0] as string);
}

/** The file paths inside a tarball, without the leading `package/`. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { cwd: dirname(tarball) });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''));
}

/** The package.json inside a tarball. */
export async function tarballManifest(tarball: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: dirname(tarball) });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Every relative file path an `exports` map (or `main`, `types`, `bin`) points at. */
export function exportTargets(manifest: Record<string, unknown>): string[] {
  const targets = new Set<string>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.main);
  walk(manifest.types);
  walk(manifest.bin);
  return [...targets];
}

/**
 * Makes an empty ES-module project under the system temp folder (outside the workspace, so no
 * workspace package can be found by walking up) and installs the tarballs into it with npm,
 * sharing npm's cache (`LLM_LAB_PACK_NPM_CACHE`, else npm's default) across installs. `npmArgs`
 * go to `npm install` (say, `--omit=optional`).
 */
export async function installIntoEmptyProject(name: string, tarballs: string[], npmArgs: string[] = []): Promise<string> {
  const project = mkdtempSync(join(tmpdir(), `llm-lab-pack-${name}-`));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `pack-test-${name}`, version: '1.0.0', private: true, type: 'module' }, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
  if (process.env.LLM_LAB_PACK_NPM_CACHE) env.npm_config_cache = process.env.LLM_LAB_PACK_NPM_CACHE;
  // pnpm sets these for its child processes; they would point npm at the workspace.
  for (const variable of Object.keys(env)) if (/^(npm_package_|npm_config_(?!cache|update_notifier|loglevel))/.test(variable)) delete env[variable];
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...npmArgs, ...tarballs], { cwd: project, env, timeoutMs: 300_000 });
  return project;
}

/** The checks every published tarball must pass. */
export function expectPublishable(what: string, files: string[], manifest: Record<string, unknown>): void {
  expect(files).toContain('package.json');
  expect(files).toContain('README.md');
  expect(files.some((file) => file.startsWith('dist/') && file.endsWith('.js'))).toBe(true);
  const misplaced = files.filter((file) => /(^|\/)(test|tests|__tests__|src)\//.test(file) || /\.test\.[cm]?[jt]s$/.test(file) || file === 'jest-results.json');
  expect({ what, misplaced }).toEqual({ what, misplaced: [] });
  const missingTargets = exportTargets(manifest).filter((target) => !files.includes(target));
  expect({ what, missingTargets }).toEqual({ what, missingTargets: [] });
  const ranges = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
    Object.entries((manifest[field] ?? {}) as Record<string, string>).map(([name, range]) => `${field}.${name}: ${range}`),
  );
  expect({ what, unresolved: ranges.filter((range) => /workspace:|catalog:/.test(range)) }).toEqual({ what, unresolved: [] });
}

/**
 * Writes `llm-lab.yaml` in `folder`: the given head (description, plugins, providers) and two
 * cases, "ping one" and "ping two", each passing when the answer echoes its question.
 */
export function writeEchoConfig(folder: string, head: string[]): void {
  const cases = ['prompts: ["{{question}}"]', 'dataset:', '  idField: id', '  rows:', '    - { id: one, question: "ping one" }', '    - { id: two, question: "ping two" }'];
  writeFileSync(join(folder, 'llm-lab.yaml'), [...head, ...cases, 'evaluators:', '  - { type: equals, value: "{{question}}" }', ''].join('\n'));
}
