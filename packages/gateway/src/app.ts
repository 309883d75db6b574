import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Call, errorResponse, refusalError, type CallServices } from './call.js';
import { ALREADY_SENT, chatCompletions, embeddings } from './chat-completions.js';
import type { GatewayHooks } from './hooks.js';
import type { GatewayMetrics } from './metrics.js';
import { GatewayRequestError, toGatewayError } from './openai-errors.js';
import { RouteTable, type Route } from './routes.js';
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
  /** When set, `/metrics` answers only requests with `Authorization: Bearer <metricsToken>` (401 otherwise). */
  metricsToken?: string;
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

/** A fresh header object per Response: @hono/node-server adds `Content-Length` to the object it is given, so a shared one would carry the first body's length into every later answer. */
const plainJson = (): Record<string, string> => ({ 'content-type': 'application/json' });

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
  options.metrics?.watchInFlight(() => services.inFlight.count);
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
  const listModels = options.hooks?.listModels?.bind(options.hooks);
  /** The routes the caller may see, or the refusal (keys required and no valid key). */
  const visibleRoutes = async (authorization: string | undefined): Promise<readonly Route[] | Response> => {
    if (!listModels) return routes.routes;
    const listing = await listModels(authorization);
    if (!listing.ok) return errorResponse(refusalError(listing));
    return listing.models === null ? routes.routes : routes.allowedRoutes(listing.models);
  };
  app.get('/v1/models', async (c) => {
    if (!listModels) return new Response(routes.modelsBody, { status: 200, headers: plainJson() });
    const visible = await visibleRoutes(c.req.header('authorization'));
    if (visible instanceof Response) return visible;
    return new Response(RouteTable.listBody(visible), { status: 200, headers: plainJson() });
  });
  app.get('/v1/models/:model', async (c) => {
    try {
      const visible = await visibleRoutes(c.req.header('authorization'));
      if (visible instanceof Response) return visible;
      const route = routes.get(c.req.param('model'));
      // A model the key may not use is not there for it (as OpenAI answers for another organisation's model).
      if (!visible.includes(route)) throw routes.unknown(c.req.param('model'), visible);
      return new Response(JSON.stringify(RouteTable.modelObject(route)), { status: 200, headers: plainJson() });
    } catch (error) {
      return errorResponse(toGatewayError(error));
    }
  });
  app.get('/healthz', () => new Response('{"status":"ok"}', { status: 200, headers: plainJson() }));
  app.get('/readyz', () =>
    accepting
      ? new Response(JSON.stringify({ status: 'ready', routes: routes.routes.length }), { status: 200, headers: plainJson() })
      : new Response('{"status":"shutting down"}', { status: 503, headers: plainJson() }),
  );
  if (options.metrics) {
    const metrics = options.metrics;
    const expected = options.metricsToken !== undefined ? Buffer.from(`Bearer ${options.metricsToken}`) : undefined;
    app.get('/metrics', async (c) => {
      if (expected !== undefined) {
        const sent = Buffer.from(c.req.header('authorization') ?? '');
        if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
          return new Response(
            JSON.stringify({ error: { message: '/metrics needs the metrics token: send Authorization: Bearer <token> (the --metrics-token the gateway was started with).', type: 'authentication_error', param: null, code: 'invalid_metrics_token' } }),
            { status: 401, headers: { ...plainJson(), 'www-authenticate': 'Bearer realm="metrics"' } },
          );
        }
      }
      return new Response(await metrics.text(), { status: 200, headers: { 'content-type': metrics.registry.contentType } });
    });
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
