export { default } from '@llm-lab/eslint-config';
