import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// Resolved here so packages need not depend on @swc/jest themselves.
const swcJest = require.resolve('@swc/jest');

/**
 * Builds a jest config for an LLM Lab package: TypeScript compiled by swc, run as native ESM
 * (jest must be started with `node --experimental-vm-modules`), tests under `test/`.
 * Results are also written to `jest-results.json` so the root test command can total them.
 * @param {import('jest').Config} [overrides]
 * @returns {import('jest').Config}
 */
export function createJestConfig(overrides = {}) {
  return {
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': [
        swcJest,
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    // A safety net for a test that hangs, not a measure of speed: a loaded machine (both cores
    // busy) makes PGlite, real datasets and child processes several times slower.
    testTimeout: 120_000,
    ...overrides,
  };
}

export default createJestConfig;
