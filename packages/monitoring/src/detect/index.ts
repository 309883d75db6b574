export * from './detector.js';
export * from './rolling.js';
