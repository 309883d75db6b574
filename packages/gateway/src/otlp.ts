import type { Tracer } from '@opentelemetry/api';

/** A tracer whose spans are exported over OTLP/HTTP (JSON), and how to flush and stop it. */
export interface OtlpTracing {
  tracer: Tracer;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Exports the gateway's spans to an OpenTelemetry collector over OTLP/HTTP, with the SDK's batch
 * processor (spans leave in the background, never on the request path). `url` is the traces
 * endpoint (`http://collector:4318/v1/traces`); without it the exporter reads the standard
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_EXPORTER_OTLP_HEADERS`.
 * The SDK is loaded only when this is called: tracing is off by default.
 */
export async function enableOtlpExport(options: { url?: string; headers?: Record<string, string> } = {}): Promise<OtlpTracing> {
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const exporter = new OTLPTraceExporter({ ...(options.url ? { url: options.url } : {}), ...(options.headers ? { headers: options.headers } : {}) });
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  return {
    tracer: provider.getTracer('@llm-lab/gateway'),
    shutdown: () => provider.shutdown(),
  };
}
