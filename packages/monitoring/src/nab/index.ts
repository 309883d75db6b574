export * from './scorer.js';
export * from './corpus.js';
