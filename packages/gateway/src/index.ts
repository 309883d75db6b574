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
