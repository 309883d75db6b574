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
  TrafficRecord,
} from './hooks.js';
export { createAccessHooks, type AccessHooks, type AccessHooksOptions, type AccessStats } from './access/access-hooks.js';
export { generateVirtualKey, hashVirtualKey, parseAuthorization, type NewVirtualKey } from './access/virtual-key.js';
export { TrafficRecorder, toStoredRequest, type TrafficRecorderOptions, type TrafficStats } from './traffic/traffic-recorder.js';
