import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { TrafficRecord } from './hooks.js';

/**
 * OpenTelemetry spans of the gateway's calls, through `@opentelemetry/api`: one span per call,
 * named `chat {model}` (`embeddings {model}`), with the GenAI semantic conventions' attributes.
 * The API does nothing until an SDK registers a tracer provider (see `enableOtlpExport`), so the
 * gateway makes spans only when tracing is on.
 */
export class GatewayTracing {
  private readonly tracer: Tracer;

  constructor(tracer?: Tracer) {
    this.tracer = tracer ?? trace.getTracer('@llm-lab/gateway');
  }

  /** Starts the span of a call to `route` (the requested model). */
  start(operation: 'chat' | 'embeddings', route: string, provider: string, startTime: number): Span {
    return this.tracer.startSpan(`${operation} ${route}`, {
      kind: SpanKind.CLIENT,
      startTime,
      attributes: {
        'gen_ai.operation.name': operation,
        'gen_ai.provider.name': provider,
        'gen_ai.request.model': route,
      },
    });
  }

  /** Ends a call's span with what the record says about it. */
  end(span: Span, record: TrafficRecord): void {
    if (record.provider !== undefined) span.setAttribute('llm_lab.answered_by', record.answeredBy ?? record.provider);
    if (record.model !== undefined) span.setAttribute('gen_ai.response.model', record.model);
    if (record.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', record.inputTokens);
    if (record.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', record.outputTokens);
    span.setAttribute('http.response.status_code', record.status);
    if (record.errorClass !== undefined) {
      span.setAttribute('error.type', record.errorClass);
      span.setStatus({ code: SpanStatusCode.ERROR, ...(record.errorMessage ? { message: record.errorMessage } : {}) });
    }
    span.end(record.time + record.latencyMs);
  }
}
