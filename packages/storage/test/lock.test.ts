import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { checkIsDatabaseFolder } from '../src/open-pglite.js';
import { LOCK_FILE_NAME, tryFolderLock } from '../src/pglite-lock.js';

const workDir = mkdtempSync(join(tmpdir(), 'llm-lab-lock-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
const contender = fileURLToPath(new URL('./fixtures/lock-contender.mjs', import.meta.url));

function contend(folder: string, rounds: number): Promise<{ held: number; overlaps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [contender, folder, String(rounds)]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout) as { held: number; overlaps: number }) : reject(new Error(`contender exited ${code}: ${stderr}`))));
  });
}

describe('the data folder lock', () => {
  it('is written whole: the lock file holds its holder, another taker is told who, and nothing else is left', () => {
    const folder = join(workDir, 'whole');
    mkdirSync(folder);
    const lock = tryFolderLock(folder);
    expect('holder' in lock).toBe(false);
    expect(JSON.parse(readFileSync(join(folder, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: process.pid });
    expect(readdirSync(folder)).toEqual([LOCK_FILE_NAME]);
    expect(tryFolderLock(folder)).toMatchObject({ holder: { pid: process.pid } });
    (lock as { release(): void }).release();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('has one holder at a time when processes take it at once, thousands of times', async () => {
    const folder = join(workDir, 'contended');
    mkdirSync(folder);
    const counts = await Promise.all([0, 1, 2, 3].map(() => contend(folder, 1500)));
    // Every round either held the lock alone or was told who held it: never two holders at once.
    expect(counts.map((count) => count.overlaps)).toEqual([0, 0, 0, 0]);
    expect(counts.reduce((sum, count) => sum + count.held, 0)).toBeGreaterThan(0);
    expect(existsSync(join(folder, LOCK_FILE_NAME))).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  }, 120_000);

  it("lets a new folder hold another process's lock being written without calling it someone else's folder", () => {
    const folder = join(workDir, 'new');
    mkdirSync(folder);
    writeFileSync(join(folder, `${LOCK_FILE_NAME}.12345.tmp`), '{}');
    writeFileSync(join(folder, 'llm-lab.served.json.12345.tmp'), '{}');
    expect(() => checkIsDatabaseFolder(folder)).not.toThrow();
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    expect(() => checkIsDatabaseFolder(folder)).toThrow(/not an llm-lab database/);
  });
});
