import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { findLabHome, findProjectRoot } from '../src/lab-home.js';

const root = mkdtempSync(join(tmpdir(), 'llm-lab-home-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder holding `files` (a path ending in / is a folder). */
function tree(files: Record<string, string>): string {
  const base = mkdtempSync(join(root, 'p-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(base, path);
    if (path.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content);
    }
  }
  return base;
}

describe('findLabHome: where a project keeps .llm-lab', () => {
  it('finds the nearest .llm-lab/ above the working folder, as git finds .git', () => {
    const base = tree({ '.llm-lab/': '', 'package.json': '{}', 'examples/from-code/package.json': '{}', 'examples/from-code/src/': '' });
    expect(findLabHome(join(base, 'examples/from-code/src'), {})).toEqual({ home: join(base, '.llm-lab'), reason: 'found' });
    // A nearer one wins.
    mkdirSync(join(base, 'examples/from-code/.llm-lab'));
    expect(findLabHome(join(base, 'examples/from-code/src'), {}).home).toBe(join(base, 'examples/from-code/.llm-lab'));
  });

  it('without one, uses the project root: the nearest package.json or .git, or the workspace it belongs to', () => {
    const single = tree({ 'package.json': '{}', 'src/deep/': '' });
    expect(findLabHome(join(single, 'src/deep'), {})).toEqual({ home: join(single, '.llm-lab'), reason: 'project' });
    const git = tree({ '.git/': '', 'notes/': '' });
    expect(findProjectRoot(join(git, 'notes'))).toBe(git);
    // A workspace member (examples/from-code has its own package.json) stores in the workspace root's.
    const workspace = tree({ 'pnpm-workspace.yaml': 'packages: [examples/*]\n', 'package.json': '{}', 'examples/from-code/package.json': '{}' });
    expect(findLabHome(join(workspace, 'examples/from-code'), {}).home).toBe(join(workspace, '.llm-lab'));
    const npmWorkspace = tree({ 'package.json': '{"workspaces":["pkgs/*"]}', 'pkgs/a/package.json': '{}' });
    expect(findProjectRoot(join(npmWorkspace, 'pkgs/a'))).toBe(npmWorkspace);
    // A package in its own git repository inside another workspace folder is its own project.
    const nested = tree({ 'pnpm-workspace.yaml': '', 'vendor/lib/package.json': '{}', 'vendor/lib/.git/': '' });
    expect(findProjectRoot(join(nested, 'vendor/lib'))).toBe(join(nested, 'vendor/lib'));
  });

  it('lets LLM_LAB_HOME override, relative to the working folder', () => {
    const base = tree({ '.llm-lab/': '', 'sub/': '' });
    expect(findLabHome(join(base, 'sub'), { LLM_LAB_HOME: '/srv/lab' })).toEqual({ home: '/srv/lab', reason: 'env' });
    expect(findLabHome(join(base, 'sub'), { LLM_LAB_HOME: 'here' }).home).toBe(join(base, 'sub', 'here'));
    expect(findLabHome(join(base, 'sub'), { LLM_LAB_HOME: '  ' }).reason).toBe('found');
  });
});
