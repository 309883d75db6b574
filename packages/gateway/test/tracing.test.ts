import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { faults } from '@llm-lab/provider-testkit';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startHarness, type Harness } from './helpers.js';

jest.setTimeout(60_000);

const hi = [{ role: 'user' as const, content: 'trace me' }];

describe('OpenTelemetry spans of gateway calls', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ tracing: provider.getTracer('test') });
  });
  afterAll(async () => {
    await h?.close();
    await provider.shutdown();
  });

  it('names each span `chat {model}` with the GenAI attributes, and marks failures with error.type', async () => {
    await h.client.chat.completions.create({ model: 'gpt', messages: hi });
    h.vendors.gemini.enqueueFault(faults.serverError());
    await expect(h.client.chat.completions.create({ model: 'gemini', messages: hi })).rejects.toThrow();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['chat gpt', 'chat gemini']);
    expect(spans[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt',
      'gen_ai.response.model': 'gpt-4o-mini',
    });
    expect(spans[0]!.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(spans[0]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(spans[0]!.attributes['error.type']).toBeUndefined();
    expect(spans[1]!.attributes).toMatchObject({ 'gen_ai.provider.name': 'gcp.gemini', 'error.type': 'server' });
    expect(spans[1]!.status.code).toBe(2); // SpanStatusCode.ERROR
  });
});

describe('OTLP export', () => {
  let collector: Server;
  const bodies: string[] = [];
  let url: string;
  beforeAll(async () => {
    // A collector's OTLP/HTTP traces endpoint, receiving what the exporter sends (JSON).
    collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (request.url === '/v1/traces') bodies.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
  });
  afterAll(async () => {
    await new Promise((resolve) => collector.close(resolve));
  });

  it('sends the spans to the OTLP endpoint, flushed when the gateway closes', async () => {
    const h = await startHarness({ tracing: true, otlpEndpoint: url });
    try {
      await h.client.chat.completions.create({ model: 'claude', messages: hi });
    } finally {
      await h.close();
    }
    const sent = bodies.join('\n');
    expect(sent).toContain('chat claude');
    expect(sent).toContain('gen_ai.provider.name');
    expect(sent).toContain('anthropic');
  });
});
