export { openDataset } from './open-dataset.js';
export { canonicalJson, CompactStringSet, hashRow, UniqueIdAssigner } from './case-id.js';
export { datasetCacheDir, resolveHfDataset, type HubOptions } from './hf-hub.js';
export { JsonArrayScanner, JsonArrayStructureError, type ArrayElement } from './json-array-reader.js';
export { Reservoir } from './sampling.js';
export type { Dataset, DatasetCase, DatasetFormat, InvalidRow, OpenDatasetOptions } from './types.js';
