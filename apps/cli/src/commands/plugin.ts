import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../errors.js';
import { dim, printable, red, useColour } from '../output/format.js';

// `llm-lab plugin create <name>`: a standalone provider-plugin project, from the provider-plugin
// example (a contract 2.0 provider for TGI's /generate API, with its fake server and the
// conformance suite), renamed. It builds, tests and packs on its own: no workspace or catalog
// versions, and the repository's private config packages are inlined.

export interface PluginCreateFlags {
  dir?: string;
  /** A folder holding the packed @llm-lab/core, @llm-lab/provider-testkit and @llm-lab/security tarballs (`pnpm release:pack`), until they are on npm. */
  tarballs?: string;
  force?: boolean;
}

/** A plugin name: the provider family in ids (`<name>:<model>`), one lowercase word. */
const NAME = /^[a-z][a-z0-9]{1,30}$/;

/** The nearest folder named `name` at or above `from` (the command runs from a bundle chunk or from tsc's output). */
function findUp(from: string, name: string): string | undefined {
  let folder = from;
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(folder, name);
    if (existsSync(candidate)) return candidate;
    folder = dirname(folder);
  }
  return undefined;
}

/** The example's names replaced by the plugin's: `tgi` (ids, files, identifiers), `Tgi` (types), `TGI` (prose). */
export function renamePlugin(text: string, name: string): string {
  const pascal = `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
  return text.replace(/Tgi/g, pascal).replace(/TGI/g, name.toUpperCase()).replace(/tgi/g, name);
}

function packageJson(name: string, version: string, tools: Record<string, string>, tarballs: Map<string, string>): string {
  const llmLab = (pkg: string) => tarballs.get(pkg) ?? `^${version}`;
  const manifest = {
    name: `llm-lab-provider-${name}`,
    version: '0.1.0',
    description: `An LLM Lab provider plugin: ${name}:<model> ids.`,
    license: 'MIT',
    keywords: ['llm-lab', 'llm-lab-provider', name],
    type: 'module',
    sideEffects: false,
    exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' }, './package.json': './package.json' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md'],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json',
      test: 'node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js',
      prepack: 'npm run build',
    },
    peerDependencies: { '@llm-lab/core': `^${version}` },
    devDependencies: {
      '@jest/globals': tools['@jest/globals'],
      '@llm-lab/core': llmLab('@llm-lab/core'),
      '@llm-lab/provider-testkit': llmLab('@llm-lab/provider-testkit'),
      ...(tarballs.has('@llm-lab/security') ? { '@llm-lab/security': llmLab('@llm-lab/security') } : {}),
      '@swc/core': tools['@swc/core'],
      '@swc/jest': tools['@swc/jest'],
      '@types/node': tools['@types/node'],
      jest: tools.jest,
      typescript: tools.typescript,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    esModuleInterop: true,
    skipLibCheck: true,
    forceConsistentCasingInFileNames: true,
    isolatedModules: true,
    verbatimModuleSyntax: true,
    resolveJsonModule: true,
    declaration: true,
    declarationMap: true,
    sourceMap: true,
    types: ['node'],
    noEmit: true,
    rootDir: '.',
  },
  include: ['src', 'test'],
};

const TSCONFIG_BUILD = { extends: './tsconfig.json', compilerOptions: { noEmit: false, outDir: 'dist', rootDir: 'src' }, include: ['src'] };

const JEST_CONFIG = `// TypeScript compiled by swc and run as native ES modules (jest runs under node --experimental-vm-modules).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true }, module: { type: 'es6' }, sourceMaps: 'inline' }],
  },
  moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
};
`;

function readme(name: string): string {
  const pascal = `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
  return `# llm-lab-provider-${name}

An LLM Lab provider plugin (contract 2.0): models as \`${name}:<model>\` ids.

This project was written by \`llm-lab plugin create ${name}\` from LLM Lab's provider-plugin
example, which speaks Hugging Face Text Generation Inference's \`/generate\` API. Replace the wire
format with your vendor's:

| file | what to change |
|---|---|
| \`src/${name}-wire.ts\` | the request and response bodies of your API |
| \`src/${name}-request.ts\`, \`src/${name}-model.ts\` | building a request from LLM Lab's \`GenerateRequest\`, reading the answer and the stream |
| \`src/${name}-error.ts\` | your API's error bodies and status codes → LLM Lab's error kinds |
| \`src/${name}-options.ts\` | the \`config:\` block (base URL, key, settings) |
| \`src/${name}-provider.ts\` | the family's name, description and capability flags |
| \`test/fake-${name}-server.ts\` | a local server speaking your API faithfully (status codes, headers, SSE framing, error bodies) |

## Develop

\`\`\`sh
npm install
npm run build        # tsc → dist/
npm test             # the LLM Lab conformance suite against test/fake-${name}-server.ts, and the plugin's own tests
npm run typecheck
npm pack             # llm-lab-provider-${name}-0.1.0.tgz
\`\`\`

\`test/conformance.test.ts\` runs \`describeProviderConformance\` from \`@llm-lab/provider-testkit\`:
the checks every built-in provider passes (generate, stream, batch, model info, cost, the
classification of injected failures, and every capability flag the provider claims).

## Use

\`\`\`yaml
plugins: [llm-lab-provider-${name}]
providers:
  - id: ${name}:my-model
    config:
      baseURL: http://localhost:8080
\`\`\`

As a library: \`import { create${pascal} } from 'llm-lab-provider-${name}'\`.

\`@llm-lab/core\` is a peer dependency: the plugin uses the copy the project (or the \`llm-lab\`
command) already has.
`;
}

/** `llm-lab plugin create <name> [--dir <folder>]`. */
export async function pluginCreateCommand(name: string, flags: PluginCreateFlags): Promise<number> {
  const colour = useColour(process.stderr);
  const fail = (message: string) => {
    process.stderr.write(`${red('error', colour)} ${message}\n`);
    return ExitCode.badInput;
  };
  if (!NAME.test(name)) {
    return fail(`plugin name '${printable(name, { max: 60, oneLine: true })}' must be one lowercase word of letters and digits (2-31 characters), e.g. acme: it becomes the provider ids' prefix (acme:<model>) and the package name llm-lab-provider-acme.`);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const templateFile = findUp(here, 'plugin-template.json');
  const manifest = findUp(here, 'package.json');
  if (!templateFile || !manifest) return fail(`this llm-lab has no plugin template beside it (looked up from ${here}); reinstall llm-lab.`);
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { versions: Record<string, string>; files: Record<string, string> };
  const tools = template.versions;

  const target = resolve(flags.dir ?? `llm-lab-provider-${name}`);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0) && !flags.force) {
    return fail(`${target} exists and is not empty; choose another --dir, or add --force to write into it.`);
  }
  const tarballs = new Map<string, string>();
  if (flags.tarballs !== undefined) {
    const folder = resolve(flags.tarballs);
    const found = existsSync(folder) ? readdirSync(folder) : [];
    // @llm-lab/security is a dependency of core: from the folder too while it is not on npm.
    for (const [pkg, prefix] of [['@llm-lab/core', 'llm-lab-core-'], ['@llm-lab/provider-testkit', 'llm-lab-provider-testkit-'], ['@llm-lab/security', 'llm-lab-security-']] as const) {
      const tarball = found.find((file) => file.startsWith(prefix) && file.endsWith('.tgz') && /^\d/.test(file.slice(prefix.length)));
      if (!tarball) return fail(`--tarballs ${folder} has no ${prefix}<version>.tgz. Write the tarballs with 'pnpm release:pack' in the LLM Lab repository.`);
      tarballs.set(pkg, `file:${relative(target, join(folder, tarball)) || '.'}`);
    }
  }

  const written: string[] = [];
  const write = async (file: string, text: string) => {
    const path = join(target, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    written.push(file);
  };
  for (const [file, text] of Object.entries(template.files)) await write(renamePlugin(file, name), renamePlugin(text, name));
  await write('package.json', packageJson(name, version, tools, tarballs));
  await write('tsconfig.json', `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  await write('tsconfig.build.json', `${JSON.stringify(TSCONFIG_BUILD, null, 2)}\n`);
  await write('jest.config.js', JEST_CONFIG);
  await write('README.md', readme(name));
  await write('.gitignore', 'node_modules/\ndist/\n*.tgz\n');

  const shown = relative(process.cwd(), target) || '.';
  process.stdout.write(
    [
      `Wrote the provider plugin llm-lab-provider-${name} (${written.length} files) in ${shown}:`,
      `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}`,
      '  npm install && npm run build && npm test',
      dim(`Its README says which files to change for your API (${basename(target)}/README.md).`, useColour(process.stdout)),
      '',
    ].join('\n'),
  );
  return ExitCode.ok;
}
