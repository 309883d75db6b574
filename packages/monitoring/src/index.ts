export * from './nab/index.js';
export * from './detect/index.js';
export * from './series-csv.js';
export * from './collect/bucket.js';
export * from './store/index.js';
export * from './probes/index.js';
