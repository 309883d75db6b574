/**
 * Where a project's LLM Lab folder (`.llm-lab/`: the embedded database, the response cache) is,
 * found the way git finds `.git`. Only `node:fs` and `node:path`: the CLI imports this
 * (`@llm-lab/storage/lab-home`) without loading the rest of the package.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The folder's name inside a project. */
export const LAB_HOME_NAME = '.llm-lab';

export interface LabHome {
  /** The `.llm-lab` folder (it may not exist yet). */
  home: string;
  /**
   * Why this one: `env` (LLM_LAB_HOME), `found` (an existing `.llm-lab/` in the working folder
   * or above), `project` (none found: the project root's), `cwd` (no project root either).
   */
  reason: 'env' | 'found' | 'project' | 'cwd';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Folders from `start` up to the filesystem root. */
function* upwards(start: string): Generator<string> {
  for (let folder = start; ; folder = dirname(folder)) {
    yield folder;
    if (dirname(folder) === folder) return;
  }
}

/** A folder that holds a workspace of packages (pnpm, npm, yarn), whose members are not projects of their own. */
function isWorkspaceRoot(folder: string): boolean {
  if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return true;
  const manifest = join(folder, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined;
  } catch {
    return false;
  }
}

/**
 * The project root above `cwd`: the nearest folder with a `package.json` or `.git`; when that
 * folder is a member of a workspace (an enclosing folder, within the same git repository, has
 * `pnpm-workspace.yaml` or a `package.json` with `workspaces`), the workspace's root.
 */
export function findProjectRoot(cwd: string): string | undefined {
  let root: string | undefined;
  for (const folder of upwards(resolve(cwd))) {
    if (existsSync(join(folder, 'package.json')) || existsSync(join(folder, '.git'))) {
      root = folder;
      break;
    }
  }
  if (root === undefined || existsSync(join(root, '.git'))) return root;
  for (const folder of upwards(dirname(root))) {
    if (isWorkspaceRoot(folder)) return folder;
    if (existsSync(join(folder, '.git'))) break;
  }
  return root;
}

/**
 * The `.llm-lab` folder for a process working in `cwd`:
 * 1. `LLM_LAB_HOME` when set (relative to `cwd`);
 * 2. else the nearest existing `.llm-lab/` in `cwd` or a folder above it;
 * 3. else `.llm-lab/` in the project root ({@link findProjectRoot});
 * 4. else `.llm-lab/` in `cwd`.
 */
export function findLabHome(cwd: string = process.cwd(), env: Record<string, string | undefined> = process.env): LabHome {
  const fromEnv = env.LLM_LAB_HOME?.trim();
  if (fromEnv) return { home: resolve(cwd, fromEnv), reason: 'env' };
  for (const folder of upwards(resolve(cwd))) {
    if (isDirectory(join(folder, LAB_HOME_NAME))) return { home: join(folder, LAB_HOME_NAME), reason: 'found' };
  }
  const root = findProjectRoot(cwd);
  if (root !== undefined) return { home: join(root, LAB_HOME_NAME), reason: 'project' };
  return { home: join(resolve(cwd), LAB_HOME_NAME), reason: 'cwd' };
}
