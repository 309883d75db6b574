export { bucketToPoint, pointToBucket, resolutionOf, MINUTE_MS, HOUR_MS } from './codec.js';
export { createBucketSink, type BucketSink, type BucketSinkOptions, type BucketSinkStats } from './sink.js';
export { compactMetrics, resolveRetention, DEFAULT_RETENTION, type CompactOptions, type CompactReport, type MetricRetention } from './compact.js';
export { readSeries, type SeriesAnswer, type SeriesPoint, type SeriesQuery } from './series.js';
