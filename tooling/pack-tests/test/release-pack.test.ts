// `pnpm release:pack` (tooling/scripts/release-pack.mjs): one tarball per publishable package,
// each ready for npm: pnpm pack rewrote every workspace: and catalog: range, and the fields npm
// needs are there.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, expectPublishable, run, tarballFiles, tarballManifest } from './pack-helpers.js';
import { packSelected } from './published-packages.js';

const out = mkdtempSync(join(tmpdir(), 'llm-lab-release-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The workspace's packages that are published: every one under packages/ and apps/ not marked private. */
function publishable(): Array<{ name: string; version: string; folder: string }> {
  return ['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(REPO_ROOT, parent)).flatMap((name) => {
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, parent, name, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean };
      return manifest.private ? [] : [{ name: manifest.name, version: manifest.version, folder: `${parent}/${name}` }];
    }),
  );
}

(packSelected('release') ? describe : describe.skip)('pnpm release:pack', () => {
  it('packs every publishable package, with real version ranges and the fields npm needs', async () => {
    const { stdout } = await run('node', [join(REPO_ROOT, 'tooling/scripts/release-pack.mjs'), '--out', out], { cwd: REPO_ROOT, timeoutMs: 300_000 });
    const packages = publishable();
    expect(stdout).toContain(`${packages.length} tarballs in`);
    const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz'));
    expect(tarballs.sort()).toEqual(packages.map((pkg) => `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`).sort());
    for (const pkg of packages) {
      const tarball = join(out, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
      const [files, manifest] = await Promise.all([tarballFiles(tarball), tarballManifest(tarball)]);
      expectPublishable(pkg.name, files, manifest);
      const missing = ['license', 'engines', 'repository', 'files', 'description'].filter((field) => manifest[field] === undefined);
      expect({ package: pkg.name, missing }).toEqual({ package: pkg.name, missing: [] });
      expect({ package: pkg.name, directory: (manifest.repository as { directory?: string }).directory }).toEqual({ package: pkg.name, directory: pkg.folder });
      // A workspace dependency became the version it has in the workspace, as a caret range.
      const internal = Object.entries({ ...(manifest.dependencies as Record<string, string>), ...(manifest.peerDependencies as Record<string, string>) }).filter(([name]) => name.startsWith('@llm-lab/'));
      expect({ package: pkg.name, ranges: internal.filter(([, range]) => !/^\^?\d+\.\d+\.\d+$/.test(range)) }).toEqual({ package: pkg.name, ranges: [] });
    }
  });
});
