// Packaging test of the `llm-lab` command (slow: packs the CLI and @llm-lab/storage, installs
// both with npm into an empty project outside the workspace, and runs the command there). The
// published CLI is a bundle (apps/cli/scripts/bundle.mjs): this proves it carries everything
// it needs except the packages it declares, which is what a user's `npm install llm-lab` gets.
// GGUF support (node-llama-cpp, an optional dependency) is left out of the install.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeOpenAIServer } from '@llm-lab/provider-testkit';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, expectPublishable, installIntoEmptyProject, pnpmPack, run, tarballFiles, tarballManifest, writeEchoConfig } from './pack-helpers.js';
import { packSelected } from './published-packages.js';

const KEY = 'sk-pack-test-key-0123456789abcdef';
const selected = packSelected('cli');
const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-pack-cli-'));
let cliTarball: Promise<string>;
let project: Promise<string>;

beforeAll(() => {
  if (!selected) return;
  cliTarball = pnpmPack(join(REPO_ROOT, 'apps/cli'), mkdtempSync(join(workDir, 'cli-')));
  const storageTarball = pnpmPack(join(REPO_ROOT, 'packages/storage'), mkdtempSync(join(workDir, 'storage-')));
  project = Promise.all([cliTarball, storageTarball]).then((tarballs) => installIntoEmptyProject('cli', tarballs, ['--omit=optional']));
  // Failures are reported by the tests that await them.
  project.catch(() => undefined);
});

afterAll(async () => {
  const folder = await project?.catch(() => undefined);
  if (folder) rmSync(folder, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

(selected ? describe : describe.skip)('the llm-lab command, installed from its tarball', () => {
  it('packs its bundle and chunks, a bin that exists, and real dependency ranges for what it leaves out', async () => {
    const tarball = await cliTarball;
    const [files, manifest] = await Promise.all([tarballFiles(tarball), tarballManifest(tarball)]);
    expectPublishable('llm-lab', files, manifest);
    expect(manifest.bin).toEqual({ 'llm-lab': './dist/llm-lab.js' });
    expect(files.some((file) => file.startsWith('dist/chunks/') && file.endsWith('.js'))).toBe(true);
    // What the bundle leaves out is exactly what it declares (see apps/cli/scripts/bundle.mjs).
    expect(Object.keys(manifest.dependencies as Record<string, string>).sort()).toEqual(['@llm-lab/storage', 'ajv', 'ioredis', 'pg-boss']);
  });

  it(
    'runs a benchmark on the embedded database and lists it, with @llm-lab/storage the only LLM Lab package installed',
    async () => {
      const folder = await project;
      const bin = join(folder, 'node_modules', '.bin', 'llm-lab');
      expect(readdirSync(join(folder, 'node_modules', '@llm-lab'))).toEqual(['storage']);

      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
      delete env.DATABASE_URL; // the embedded database, in the project folder
      const version = await run(bin, ['--version'], { cwd: folder, env, timeoutMs: 60_000 });
      expect(version.stdout.trim()).toBe('0.1.0');

      const server = await startFakeOpenAIServer({ apiKey: KEY });
      try {
        writeEchoConfig(folder, [
          'description: pack test - the installed command',
          'providers:',
          '  - id: openai:gpt-4o-mini',
          `    config: { baseURL: "${server.url}", apiKey: "${KEY}" }`,
        ]);
        const { stdout } = await run(bin, ['run', 'llm-lab.yaml', '--json', '--no-progress', '--no-cache'], { cwd: folder, env, timeoutMs: 180_000 });
        const report = JSON.parse(stdout) as { runId: string; status: string; providers: Array<{ passed: number; failed: number; errors: number }> };
        expect(report.status).toBe('completed');
        expect(report.providers[0]).toMatchObject({ passed: 2, failed: 0, errors: 0 });
        const asked = server.requests.filter((request) => request.path.endsWith('/chat/completions'));
        expect(asked.map((request) => (request.body as { messages: Array<{ content: string }> }).messages[0]?.content).sort()).toEqual(['ping one', 'ping two']);

        const listed = await run(bin, ['runs', 'list', '--json'], { cwd: folder, env, timeoutMs: 60_000 });
        expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((entry) => entry.id)).toContain(report.runId);
      } finally {
        await server.close();
      }
    },
    300_000,
  );
});
