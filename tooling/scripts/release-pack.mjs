#!/usr/bin/env node
// `pnpm release:pack [--out <folder>]`: packs every publishable package of the workspace (not
// private, not an example) with `pnpm pack` into one folder (default release/), and checks each
// tarball's package.json: no `workspace:` or `catalog:` range left (pnpm pack rewrites them to the
// versions in the workspace), and the fields npm needs (name, version, license, engines,
// repository, files, exports or bin). Build first (the root script does).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : join(root, 'release'));

/** The workspace's publishable packages: not private, not under examples/ or tooling/. */
export function publishablePackages() {
  const listed = spawnSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (listed.status !== 0) throw new Error(`pnpm ls failed: ${listed.stderr}`);
  return JSON.parse(listed.stdout)
    .filter((pkg) => !pkg.private && /^(packages|apps)\//.test(relative(root, pkg.path)))
    .map((pkg) => ({ name: pkg.name, version: pkg.version, dir: pkg.path }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What is wrong with a packed package.json, in words (empty when nothing). */
export function manifestProblems(manifest) {
  const problems = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range)) problems.push(`${field}.${name} is still '${range}'`);
    }
  }
  for (const field of ['name', 'version', 'license', 'engines', 'repository', 'files']) if (!manifest[field]) problems.push(`no '${field}'`);
  if (!manifest.exports && !manifest.bin) problems.push("neither 'exports' nor 'bin'");
  return problems;
}

function pack(dir) {
  return new Promise((resolvePack, reject) => {
    const child = spawn('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => (code === 0 ? resolvePack() : reject(new Error(`pnpm pack in ${relative(root, dir)} exited with ${code}:\n${output.trim()}`))));
  });
}

function readManifest(tarball) {
  const result = spawnSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`cannot read package.json in ${tarball}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function main() {
  const packages = publishablePackages();
  const unbuilt = packages.filter((pkg) => !existsSync(join(pkg.dir, 'dist')));
  if (unbuilt.length > 0) {
    console.error(`Build first (pnpm build): no dist/ in ${unbuilt.map((pkg) => relative(root, pkg.dir)).join(', ')}.`);
    process.exit(2);
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // Two packs at a time: each runs the package's prepack scripts and gzips its files.
  const queue = [...packages];
  await Promise.all(
    [0, 1].map(async () => {
      for (let pkg = queue.shift(); pkg; pkg = queue.shift()) await pack(pkg.dir);
    }),
  );
  let failed = false;
  const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz')).sort();
  for (const file of tarballs) {
    const problems = manifestProblems(readManifest(join(out, file)));
    if (problems.length > 0) {
      failed = true;
      console.error(`${file}: ${problems.join('; ')}`);
    }
  }
  if (tarballs.length !== packages.length) {
    failed = true;
    console.error(`${packages.length} packages packed into ${tarballs.length} tarballs.`);
  }
  console.log(`${tarballs.length} tarballs in ${relative(process.cwd(), out) || '.'}:\n${tarballs.map((file) => `  ${file}`).join('\n')}`);
  if (failed) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
