import { createJestConfig } from '@llm-lab/jest-preset';

export default createJestConfig();
