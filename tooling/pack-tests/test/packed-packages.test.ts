// Packaging test (slow: packs each publishable provider, installs it from npm's cache into an
// empty project outside the workspace, and runs it; about a minute or two in all). It proves each
// package works with @llm-lab/core and nothing else from LLM Lab, and that the third-party plugin
// example loads into the CLI from a config's `plugins:` list. Limit it while developing with
// LLM_LAB_PACK_ONLY=openai,tgi.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeServerControl } from '@llm-lab/provider-testkit';
import * as testkit from '@llm-lab/provider-testkit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeTgiServer } from '../../../examples/provider-plugin/test/fake-tgi-server.js';
import {
  REPO_ROOT,
  expectPublishable,
  installIntoEmptyProject,
  mapWithLimit,
  pnpmPack,
  run,
  tarballFiles,
  tarballManifest,
  writeEchoConfig,
} from './pack-helpers.js';
import { selectedProviders, type PublishedProvider } from './published-packages.js';
import { SMOKE_SCRIPT } from './smoke-script.js';

const CORE_VERSION = '0.1.0';
const rows = selectedProviders();
const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-pack-tarballs-'));
const projects: string[] = [];

interface Packed {
  tarball: string;
  files: string[];
  manifest: Record<string, unknown>;
}

/** Packs a package once; every test that needs it awaits the same promise. */
const packedCache = new Map<string, Promise<Packed>>();
function packed(dir: string): Promise<Packed> {
  let promise = packedCache.get(dir);
  if (!promise) {
    const destination = mkdtempSync(join(workDir, 'pack-'));
    promise = pnpmPack(join(REPO_ROOT, dir), destination).then(async (tarball) => ({
      tarball,
      files: await tarballFiles(tarball),
      manifest: await tarballManifest(tarball),
    }));
    packedCache.set(dir, promise);
  }
  return promise;
}

/** Each row's project: core and the provider installed from their tarballs (at most 2 npm installs at once). */
const installed = new Map<string, Promise<string>>();

async function startFake(row: PublishedProvider): Promise<FakeServerControl> {
  if (row.localFake === 'tgi') return startFakeTgiServer();
  const start = (testkit as Record<string, unknown>)[row.fake ?? ''];
  if (typeof start !== 'function') {
    const available = Object.keys(testkit).filter((name) => name.startsWith('startFake'));
    throw new Error(`@llm-lab/provider-testkit has no export '${row.fake}' for ${row.dir} (it has: ${available.join(', ')}). Fix the row in published-packages.ts.`);
  }
  return (start as (options?: Record<string, unknown>) => Promise<FakeServerControl>)(row.fakeOptions);
}

beforeAll(() => {
  const queue = mapWithLimit(rows, 2, async (row) => {
    const tarballs = await Promise.all(['packages/core', 'packages/security', row.dir, ...(row.dependsOn ?? [])].map(async (dir) => (await packed(dir)).tarball));
    const project = await installIntoEmptyProject(row.key, tarballs);
    projects.push(project);
    return project;
  });
  rows.forEach((row, index) => installed.set(row.key, queue.then((projectsInOrder) => projectsInOrder[index] as string)));
  // Failures are reported by the tests that await them.
  queue.catch(() => undefined);
});

afterAll(() => {
  for (const project of projects) rmSync(project, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

describe('@llm-lab/core tarball', () => {
  it('contains dist and README.md, no tests or sources, and no workspace ranges', async () => {
    const { files, manifest } = await packed('packages/core');
    expectPublishable('@llm-lab/core', files, manifest);
    expect(manifest.version).toBe(CORE_VERSION);
  });
});

// LLM_LAB_PACK_ONLY=cli selects no provider row (and jest refuses an empty table).
if (rows.length > 0) describe.each(rows.map((row) => [row.key, row] as const))('%s', (_key, row) => {
  it(`${row.dir} packs with dist and README.md, no tests, exports that exist, and real dependency ranges`, async () => {
    const { files, manifest } = await packed(row.dir);
    expectPublishable(row.dir, files, manifest);
    const peers = (manifest.peerDependencies ?? {}) as Record<string, string>;
    expect(peers['@llm-lab/core']).toBe(`^${CORE_VERSION}`);
    if (row.plugin) expect(String(manifest.name)).toMatch(/^(@[a-z0-9-]+\/)?llm-lab-provider-[a-z0-9-]+$/);
  });

  it(
    `works installed from its tarball with @llm-lab/core${row.dependsOn ? ` and ${row.dependsOn.join(', ')}` : ''} alone, in an empty project outside the workspace`,
    async () => {
      const project = await installed.get(row.key);
      if (!project) throw new Error(`no project for ${row.key}`);
      const { manifest } = await packed(row.dir);
      const server = await startFake(row);
      try {
        writeFileSync(join(project, 'smoke.mjs'), SMOKE_SCRIPT);
        const { stdout } = await run(
          'node',
          ['smoke.mjs', String(manifest.name), row.provider, row.model, JSON.stringify(row.config(server.url))],
          { cwd: project, timeoutMs: 60_000 },
        );
        const result = JSON.parse(stdout.trim().split('\n').pop() as string);
        const expected = row.expectedText ?? ((prompt: string) => prompt);
        expect(result.coreVersion).toBe(CORE_VERSION);
        const dependencies = await Promise.all((row.dependsOn ?? []).map(async (dir) => String((await packed(dir)).manifest.name)));
        expect(result.installed).toEqual(['@llm-lab/core', '@llm-lab/security', String(manifest.name), ...dependencies].sort());
        expect(result.whole.text).toBe(expected('packed and installed'));
        expect(result.whole.providerId).toBe(`${row.provider}:${row.model}`);
        expect(result.whole.finishReason).toBe('stop');
        expect(result.whole.usage.inputTokens).toBeGreaterThan(0);
        expect(result.whole.usage.outputTokens).toBeGreaterThan(0);
        expect(result.stream.text).toBe(expected('streamed from the tarball'));
        expect(result.stream.deltas).toBe(result.stream.text);
        expect(result.stream.usage.outputTokens).toBeGreaterThan(0);
        expect(server.requests.length).toBeGreaterThanOrEqual(2);
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});

if (rows.some((row) => row.key === 'tgi')) {
  describe('the plugin example loaded by the CLI', () => {
    it(
      "runs a config whose plugins: lists llm-lab-provider-tgi, installed next to the config, and shows tgi's results",
      async () => {
        const project = await installed.get('tgi');
        if (!project) throw new Error('no project for tgi');
        const server = await startFakeTgiServer();
        try {
          writeEchoConfig(project, [
            'description: pack test - a third-party provider plugin',
            'plugins: [llm-lab-provider-tgi]',
            'providers:',
            '  - id: tgi:zephyr',
            `    config: { baseURL: "${server.url}", promptFormat: raw }`,
          ]);
          const env = { ...process.env };
          delete env.DATABASE_URL; // the embedded database, in the project folder
          const { stdout } = await run('node', [join(REPO_ROOT, 'apps/cli/dist/llm-lab.js'), 'run', 'llm-lab.yaml', '--no-progress', '--no-cache'], {
            cwd: project,
            env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
            timeoutMs: 180_000,
          });
          expect(stdout).toContain('tgi:zephyr');
          expect(stdout).toMatch(/100(\.0)?\s*%/);
          const listed = await run('node', [join(REPO_ROOT, 'apps/cli/dist/llm-lab.js'), 'providers', 'list', '--config', 'llm-lab.yaml', '--json'], {
            cwd: project,
            env,
            timeoutMs: 60_000,
          });
          expect(listed.stdout).toContain('llm-lab-provider-tgi');
          const generateCalls = server.requests.filter((request) => request.path === '/generate' || request.path === '/generate_stream');
          expect(generateCalls.map((request) => (request.body as { inputs: string }).inputs).sort()).toEqual(['ping one', 'ping two']);
        } finally {
          await server.close();
        }
      },
      300_000,
    );
  });
}
