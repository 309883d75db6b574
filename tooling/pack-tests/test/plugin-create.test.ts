// `llm-lab plugin create` outside the workspace: the project it writes, in an empty folder under
// the system temp folder, installs @llm-lab/core and @llm-lab/provider-testkit from their packed
// tarballs (and jest, swc, TypeScript from npm's cache or the registry), builds, passes its own
// tests (the conformance suite against its fake server) and packs. About a minute with a warm npm
// cache. Skipped, saying so, when the registry cannot be reached (unless LLM_LAB_PACK_OFFLINE=1
// says npm's cache holds everything).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, expectPublishable, pnpmPack, run, tarballFiles, tarballManifest } from './pack-helpers.js';
import { packSelected } from './published-packages.js';

const CLI = join(REPO_ROOT, 'apps/cli/dist/llm-lab.js');

/** Whether npm reaches its registry, asked through npm itself (its own registry, CA and proxy settings apply). */
async function registryReachable(): Promise<boolean> {
  if (process.env.LLM_LAB_PACK_OFFLINE === '1') return true;
  try {
    await run('npm', ['ping'], { cwd: tmpdir(), env: npmEnv(), timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** npm's environment for the project: pnpm's npm_* variables (which would point npm at the workspace) removed. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
  if (process.env.LLM_LAB_PACK_NPM_CACHE) env.npm_config_cache = process.env.LLM_LAB_PACK_NPM_CACHE;
  for (const variable of Object.keys(env)) if (/^(npm_package_|npm_config_(?!cache|update_notifier|loglevel|registry))/.test(variable)) delete env[variable];
  return env;
}

const reachable = packSelected('plugin') ? await registryReachable() : false;
if (packSelected('plugin') && !reachable) {
  console.warn('plugin-create.test.ts skipped: the npm registry cannot be reached (set LLM_LAB_PACK_OFFLINE=1 when npm\'s cache holds jest, @swc/jest and typescript).');
}

const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-plugin-create-'));
let tarballs: Promise<string>;

beforeAll(() => {
  if (!reachable) return;
  const folder = join(workDir, 'tarballs');
  // @llm-lab/security: a dependency of core, not yet on npm either.
  tarballs = Promise.all(['core', 'provider-testkit', 'security'].map((name) => pnpmPack(join(REPO_ROOT, 'packages', name), mkdtempSync(join(workDir, `${name}-`))))).then(
    async (packed) => {
      await run('mkdir', ['-p', folder], { cwd: workDir });
      await run('cp', [...packed, folder], { cwd: workDir });
      return folder;
    },
  );
  tarballs.catch(() => undefined);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

(reachable ? describe : describe.skip)('llm-lab plugin create, in an empty folder', () => {
  it('writes a project that installs from the tarballs, builds, passes its conformance tests and packs', async () => {
    const project = join(workDir, 'acme');
    const created = await run('node', [CLI, 'plugin', 'create', 'acme', '--dir', project, '--tarballs', await tarballs], { cwd: workDir });
    expect(created.stdout).toContain('Wrote the provider plugin llm-lab-provider-acme');

    // Nothing of the workspace: no catalog:/workspace: ranges, no private config package.
    const manifest = readFileSync(join(project, 'package.json'), 'utf8');
    expect(manifest).not.toMatch(/catalog:|workspace:|@llm-lab\/(tsconfig|eslint-config|jest-preset)/);
    expect(readdirSync(join(project, 'src'))).toContain('acme-provider.ts');

    const env = npmEnv();
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...(process.env.LLM_LAB_PACK_OFFLINE === '1' ? ['--offline'] : [])], { cwd: project, env, timeoutMs: 300_000 });
    await run('npm', ['run', 'build'], { cwd: project, env });
    const tests = await run('npm', ['test'], { cwd: project, env });
    // jest reports on standard error: the conformance suite ran against the fake server, and passed.
    expect(tests.stderr).toMatch(/PASS test\/conformance\.test\.ts/);
    expect(tests.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(tests.stderr).not.toMatch(/failed/);

    const packed = await run('npm', ['pack', '--pack-destination', workDir], { cwd: project, env });
    const tarball = join(workDir, packed.stdout.trim().split('\n').at(-1) as string);
    const [files, packedManifest] = await Promise.all([tarballFiles(tarball), tarballManifest(tarball)]);
    expectPublishable('llm-lab-provider-acme', files, packedManifest);
    expect(packedManifest.peerDependencies).toEqual({ '@llm-lab/core': '^0.1.0' });
  });
});
