import { createJestConfig } from '@llm-lab/jest-preset';

// Each test runs the built command in child processes, several per test, each opening its own
// database: on a machine whose cores are busy that is minutes, not seconds. A safety net only.
export default createJestConfig({ testTimeout: 300_000 });
