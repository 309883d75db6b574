import type { ManagerObserver } from '@llm-lab/provider-manager';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TrafficRecord } from './hooks.js';

/** OpenTelemetry GenAI's advised buckets for `gen_ai.client.operation.duration`, seconds. */
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** OpenTelemetry GenAI's advised buckets for `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** The gateway's own time per call: tenths of a millisecond to a tenth of a second. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The label values of one call's series, made once per distinct combination. */
interface SeriesOfCall {
  duration: ReturnType<Histogram['labels']>;
  inputTokens: ReturnType<Histogram['labels']>;
  outputTokens: ReturnType<Histogram['labels']>;
  overhead: ReturnType<Histogram['labels']>;
  cost: ReturnType<Counter['labels']>;
  cacheHits: ReturnType<Counter['labels']>;
}

/**
 * The gateway's Prometheus metrics, named after the OpenTelemetry GenAI semantic conventions
 * where they have a name (`gen_ai_client_operation_duration_seconds`, `gen_ai_client_token_usage`
 * by `gen_ai_token_type`) and `llm_lab_gateway_*` otherwise. Labels: `provider` (who answered,
 * `<provider>:<model>`), `model` (the model the vendor reported), `route` (the `model` the client
 * asked for) and `key_name` (the virtual key's name, never the key; empty without keys).
 */
export class GatewayMetrics {
  readonly registry: Registry;
  private readonly duration: Histogram;
  private readonly tokens: Histogram;
  private readonly overhead: Histogram;
  private readonly ttft: Histogram;
  private readonly requests: Counter;
  private readonly errors: Counter;
  private readonly cost: Counter;
  private readonly cacheHits: Counter;
  private readonly breaker: Gauge;
  private readonly fallbacks: Counter;
  private readonly retries: Counter;
  readonly hookErrors: Counter;
  readonly inFlight: Gauge;
  private readonly series = new Map<string, SeriesOfCall>();

  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    const registry = (this.registry = options.registry ?? new Registry());
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
    const labels = ['gen_ai_operation_name', 'provider', 'model', 'route', 'key_name'] as const;
    this.duration = new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'GenAI operation duration: from the request reaching the gateway to its last byte.',
      labelNames: [...labels, 'error_type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.tokens = new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per call, by gen_ai_token_type (input, output).',
      labelNames: [...labels, 'gen_ai_token_type'],
      buckets: TOKEN_BUCKETS,
      registers: [registry],
    });
    this.overhead = new Histogram({
      name: 'llm_lab_gateway_overhead_seconds',
      help: "The gateway's own time per call: the request's time outside the upstream call.",
      labelNames: ['route'],
      buckets: OVERHEAD_BUCKETS,
      registers: [registry],
    });
    this.ttft = new Histogram({
      name: 'llm_lab_gateway_time_to_first_token_seconds',
      help: 'Streamed calls: from the request reaching the gateway to the first content chunk sent.',
      labelNames: ['provider', 'route'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.requests = new Counter({
      name: 'llm_lab_gateway_requests_total',
      help: 'Calls answered by the gateway, by HTTP status (a stream that failed in band counts under 200 and in errors).',
      labelNames: ['route', 'provider', 'key_name', 'status', 'stream'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'llm_lab_gateway_errors_total',
      help: 'Failed calls by error class (ProviderError kind, or the gateway refusal: invalid-request, unknown-model, unauthorized, ...).',
      labelNames: ['route', 'provider', 'key_name', 'error_class'],
      registers: [registry],
    });
    this.cost = new Counter({
      name: 'llm_lab_gateway_cost_usd_total',
      help: "Cost of the answers at the models' prices, US dollars.",
      labelNames: labels,
      registers: [registry],
    });
    this.cacheHits = new Counter({
      name: 'llm_lab_gateway_cache_hits_total',
      help: "Calls answered from the provider manager's response cache.",
      labelNames: labels,
      registers: [registry],
    });
    this.breaker = new Gauge({
      name: 'llm_lab_provider_breaker_state',
      help: 'Circuit breaker state of each provider member: 0 closed, 1 half-open, 2 open.',
      labelNames: ['member'],
      registers: [registry],
    });
    this.fallbacks = new Counter({
      name: 'llm_lab_provider_fallbacks_total',
      help: 'Calls moved on to a fallback provider.',
      labelNames: ['route', 'from', 'to', 'error_class'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'llm_lab_provider_retries_total',
      help: 'Failed attempts retried by the provider manager.',
      labelNames: ['member', 'error_class'],
      registers: [registry],
    });
    this.hookErrors = new Counter({
      name: 'llm_lab_gateway_hook_errors_total',
      help: 'Exceptions thrown by the onCallEnd hook (the traffic record); the calls themselves were answered.',
      registers: [registry],
    });
    this.inFlight = new Gauge({ name: 'llm_lab_gateway_in_flight_requests', help: 'Requests being answered now.', registers: [registry] });
  }

  /** Counts one finished call. */
  record(record: TrafficRecord): void {
    const provider = record.provider ?? '';
    const keyName = record.keyName ?? '';
    this.requests.labels(record.route, provider, keyName, String(record.status), record.stream ? 'true' : 'false').inc();
    if (record.errorClass !== undefined) this.errors.labels(record.route, provider, keyName, record.errorClass).inc();
    // Refusals before a provider was chosen have no model series.
    if (record.provider === undefined) return;
    const operation = record.endpoint === 'embeddings' ? 'embeddings' : 'chat';
    const model = record.model ?? '';
    const key = `${operation}\u0000${provider}\u0000${model}\u0000${record.route}\u0000${keyName}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        duration: this.duration.labels(operation, provider, model, record.route, keyName, ''),
        inputTokens: this.tokens.labels(operation, provider, model, record.route, keyName, 'input'),
        outputTokens: this.tokens.labels(operation, provider, model, record.route, keyName, 'output'),
        overhead: this.overhead.labels(record.route),
        cost: this.cost.labels(operation, provider, model, record.route, keyName),
        cacheHits: this.cacheHits.labels(operation, provider, model, record.route, keyName),
      };
      this.series.set(key, series);
    }
    if (record.errorClass === undefined) series.duration.observe(record.latencyMs / 1000);
    else this.duration.labels(operation, provider, model, record.route, keyName, record.errorClass).observe(record.latencyMs / 1000);
    series.overhead.observe(record.overheadMs / 1000);
    if (record.inputTokens !== undefined) series.inputTokens.observe(record.inputTokens);
    if (record.outputTokens !== undefined && operation === 'chat') series.outputTokens.observe(record.outputTokens);
    if (record.costUsd !== undefined) series.cost.inc(record.costUsd);
    if (record.cacheHit) series.cacheHits.inc();
    if (record.ttftMs !== undefined) this.ttft.labels(provider, record.route).observe(record.ttftMs / 1000);
  }

  /** Listeners for the lab's provider manager (`lab.observe`): breakers, fallbacks and retries as they happen. */
  managerObserver(): ManagerObserver {
    return {
      'breaker-state-change': (event) => this.breaker.labels(event.member).set(BREAKER_VALUE[event.to]),
      fallback: (event) => this.fallbacks.labels(event.providerId, event.from, event.to, event.error.kind).inc(),
      retry: (event) => this.retries.labels(event.member, event.error.kind).inc(),
    };
  }

  /** The text exposition format, for `GET /metrics`. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
