// @llm-lab/security: each part exports from here.
export {};
