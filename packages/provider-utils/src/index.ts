export { DEFAULT_ERROR_ADVICE, errorAdvice } from './error-advice.js';
export { pollWithBackoff, sleepUnlessAborted, type PollOutcome, type PollWithBackoffOptions } from './poll-with-backoff.js';
export { createNodeHttpFetch, BufferedResponse, StreamedResponse, ResponseHeaders, CALLER_SIGNAL, TIMEOUT_MS } from './node-http-fetch.js';
export { readSse, type SseEvent } from './read-sse.js';
export { batchConfigSchema, DEFAULT_BATCH_SETTINGS, type BatchSettings } from './batch-settings.js';
export { prepareBatchItems, type BatchItems, type PendingBatchItem } from './batch-items.js';
