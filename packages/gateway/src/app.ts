import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Call, errorResponse, type CallServices } from './call.js';
import { ALREADY_SENT, chatCompletions, embeddings } from './chat-completions.js';
import type { GatewayHooks } from './hooks.js';
import type { GatewayMetrics } from './metrics.js';
import { GatewayRequestError, toGatewayError } from './openai-errors.js';
import type { RouteTable } from './routes.js';
import type { GatewayTracing } from './tracing.js';

/** The Node request and response, as @hono/node-server passes them to the app. */
export type NodeBindings = { Bindings: { incoming: IncomingMessage; outgoing: ServerResponse } };

export interface GatewayAppOptions {
  routes: RouteTable;
  hooks?: GatewayHooks;
  /** Prometheus metrics (served on `/metrics`); none when absent. */
  metrics?: GatewayMetrics;
  /** OpenTelemetry spans; none when absent. */
  tracing?: GatewayTracing;
  /** Largest request body accepted, bytes. Default 16 MiB (a few images as data URLs). */
  maxBodyBytes?: number;
}

/** The Hono app and what the server around it needs: the in-flight count, readiness. */
export interface GatewayApp {
  app: Hono<NodeBindings>;
  services: CallServices;
  /** Set false when shutting down: `/readyz` answers 503 and new calls are refused. */
  setAccepting(accepting: boolean): void;
  /** Resolves when no call is in flight. */
  idle(): Promise<void>;
}

const PLAIN_JSON = { 'content-type': 'application/json' };

/**
 * The gateway's HTTP API on Hono: OpenAI's `POST /v1/chat/completions`, `POST /v1/embeddings`,
 * `GET /v1/models`, plus `/healthz`, `/readyz` and `/metrics`. Model calls read the Node request
 * and write the Node response directly (a stream is written frame by frame to the socket), which
 * keeps the request path free of the Web stream adapters.
 */
export function createGatewayApp(options: GatewayAppOptions): GatewayApp {
  const { routes } = options;
  const services: CallServices = {
    hooks: options.hooks ?? {},
    metrics: options.metrics,
    tracing: options.tracing,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    inFlight: { count: 0, onIdle: undefined },
  };
  let accepting = true;
  const unavailable = () =>
    errorResponse({
      status: 503,
      error: { message: 'The gateway is shutting down; send the request to another instance.', type: 'server_error', param: null, code: 'shutting_down' },
      errorClass: 'shutting-down',
    });

  const app = new Hono<NodeBindings>();
  app.post('/v1/chat/completions', async (c) => {
    if (!accepting) return unavailable();
    const result = await chatCompletions(services, routes, new Call(services, 'chat.completions', c.env.incoming, c.env.outgoing));
    return result === ALREADY_SENT ? RESPONSE_ALREADY_SENT : result;
  });
  app.post('/v1/embeddings', (c) => {
    if (!accepting) return unavailable();
    return embeddings(services, routes, new Call(services, 'embeddings', c.env.incoming, c.env.outgoing));
  });
  app.get('/v1/models', () => new Response(routes.modelsBody, { status: 200, headers: PLAIN_JSON }));
  app.get('/v1/models/:model', (c) => {
    try {
      const route = routes.get(c.req.param('model'));
      return new Response(JSON.stringify({ id: route.name, object: 'model', created: 0, owned_by: route.id.slice(0, route.id.indexOf(':')) }), { status: 200, headers: PLAIN_JSON });
    } catch (error) {
      return errorResponse(toGatewayError(error));
    }
  });
  app.get('/healthz', () => new Response('{"status":"ok"}', { status: 200, headers: PLAIN_JSON }));
  app.get('/readyz', () =>
    accepting
      ? new Response(JSON.stringify({ status: 'ready', routes: routes.routes.length }), { status: 200, headers: PLAIN_JSON })
      : new Response('{"status":"shutting down"}', { status: 503, headers: PLAIN_JSON }),
  );
  if (options.metrics) {
    const metrics = options.metrics;
    app.get('/metrics', async () => new Response(await metrics.text(), { status: 200, headers: { 'content-type': metrics.registry.contentType } }));
  }
  app.notFound((c) =>
    errorResponse(
      toGatewayError(
        new GatewayRequestError({ status: 404, message: `Unknown endpoint ${c.req.method} ${c.req.path}. This gateway serves POST /v1/chat/completions, POST /v1/embeddings and GET /v1/models.`, code: 'unknown_url', errorClass: 'unknown-endpoint' }),
      ),
    ),
  );
  app.onError((error) => errorResponse(toGatewayError(error)));

  return {
    app,
    services,
    setAccepting(value) {
      accepting = value;
    },
    idle() {
      if (services.inFlight.count === 0) return Promise.resolve();
      return new Promise((resolve) => {
        services.inFlight.onIdle = () => {
          services.inFlight.onIdle = undefined;
          resolve();
        };
      });
    },
  };
}
