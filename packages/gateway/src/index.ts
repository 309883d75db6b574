/**
 * @llm-lab/gateway: an OpenAI-compatible HTTP endpoint in front of every provider, serving each
 * call through the lab's long-lived provider manager.
 */
export type {
  AuthenticateOk,
  AuthenticateRefused,
  AuthenticateRequest,
  AuthenticateResult,
  GatewayEndpoint,
  GatewayErrorClass,
  GatewayHooks,
  ModelListing,
  TrafficRecord,
} from './hooks.js';
export { startGateway, type Gateway, type GatewayAccessOptions, type GatewayTls, type StartGatewayOptions } from './server.js';
export { createGatewayApp, type GatewayApp, type GatewayAppOptions, type NodeBindings } from './app.js';
export { RouteTable, type Route } from './routes.js';
export { GatewayMetrics } from './metrics.js';
export { GatewayTracing } from './tracing.js';
export { toGatewayError, GatewayRequestError, type GatewayError, type OpenAIErrorObject } from './openai-errors.js';
export { parseChatRequest, parseEmbeddingsRequest, type ParsedChatRequest, type ParsedEmbeddingsRequest } from './openai-request.js';
export { enableOtlpExport, type OtlpTracing } from './otlp.js';
export { createAccessHooks, type AccessHooks, type AccessHooksOptions, type AccessStats, type KeyStatus } from './access/access-hooks.js';
export { generateVirtualKey, hashVirtualKey, parseAuthorization, type NewVirtualKey } from './access/virtual-key.js';
export { TrafficRecorder, toStoredRequest, type TrafficRecorderOptions, type TrafficStats } from './traffic/traffic-recorder.js';
export { registerAccessMetrics } from './access/access-metrics.js';
