import { createJestConfig } from '@llm-lab/jest-preset';

export default createJestConfig({ testMatch: ['<rootDir>/test/**/*.test.mjs'], transform: {} });
