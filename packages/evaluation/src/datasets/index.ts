export { openDataset } from './open-dataset.js';
export { canonicalJson, hashRow, UniqueIdAssigner } from './case-id.js';
export type { Dataset, DatasetCase, DatasetFormat, InvalidRow, OpenDatasetOptions } from './types.js';
