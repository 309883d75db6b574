/**
 * `@llm-lab/storage/drizzle`: the drizzle side of the storage (the tables, and the Storage
 * implementation on them), for code that queries LLM Lab's tables with drizzle. Kept out of the
 * package's main entry so that importing it does not load drizzle-orm (about a hundred modules)
 * in a process whose database lives in the embedded worker.
 */
export { DrizzleStorage, type DrizzleStorageOptions, type StorageDatabase } from './drizzle-storage.js';
export { runs, results, requests, gatewayKeys, metricPointsMinute, metricPointsHour, schema } from './schema.js';
