import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { runCli } from './helpers.js';

jest.setTimeout(60_000);

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

// That the project builds, passes its tests and packs outside the workspace is proved in
// tooling/pack-tests (plugin-create.test.ts); here, what the command writes and refuses.
describe('llm-lab plugin create', () => {
  it('writes the example renamed, with inlined tool configs and real version ranges', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-plugin-'));
    folders.push(folder);
    const result = await runCli(['plugin', 'create', 'acme'], { cwd: folder });
    expect(result.code).toBe(0);
    const project = join(folder, 'llm-lab-provider-acme');
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(manifest.name).toBe('llm-lab-provider-acme');
    expect(manifest.peerDependencies).toEqual({ '@llm-lab/core': '^0.1.0' });
    expect(Object.values(manifest.devDependencies ?? {}).filter((range) => !/^[\^~]\d/.test(range))).toEqual([]);
    const provider = await readFile(join(project, 'src', 'acme-provider.ts'), 'utf8');
    expect(provider).toContain("name: 'acme'");
    expect(provider).toContain('export function createAcme(');
    expect(provider).not.toMatch(/tgi/i);
    expect(existsSync(join(project, 'test', 'fake-acme-server.ts'))).toBe(true);
    expect(await readFile(join(project, 'tsconfig.json'), 'utf8')).not.toContain('@llm-lab/tsconfig');
    expect(await readFile(join(project, 'jest.config.js'), 'utf8')).toContain("'@swc/jest'");
  });

  it('refuses a name that cannot be a provider id, and a folder that is not empty', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'llm-lab-plugin-'));
    folders.push(folder);
    const bad = await runCli(['plugin', 'create', 'My-Vendor'], { cwd: folder });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/plugin name 'My-Vendor' must be one lowercase word/);
    await writeFile(join(folder, 'keep.txt'), 'mine');
    const taken = await runCli(['plugin', 'create', 'acme', '--dir', folder], { cwd: folder });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/exists and is not empty; choose another --dir, or add --force/);
    expect(await readFile(join(folder, 'keep.txt'), 'utf8')).toBe('mine');
  });
});
