export * from './detector.js';
export * from './rolling.js';
export * from './seasonal.js';
