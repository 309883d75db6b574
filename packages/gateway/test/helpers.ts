import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '@llm-lab/lab';
import {
  startFakeAnthropicServer,
  startFakeGeminiServer,
  startFakeOpenAIServer,
  type FakeAnthropicServer,
  type FakeGeminiServer,
  type FakeOpenAIServer,
} from '@llm-lab/provider-testkit';
import OpenAI from 'openai';
import { startGateway, type Gateway, type StartGatewayOptions } from '../src/index.js';

export const OPENAI_KEY = 'sk-gateway-test-0123456789';
export const ANTHROPIC_KEY = 'sk-ant-gateway-test-0123456789';
export const GOOGLE_KEY = 'AIzaSyGatewayTest0123456789abcdefghijk';

/** The three vendors' fake servers. */
export interface Vendors {
  openai: FakeOpenAIServer;
  anthropic: FakeAnthropicServer;
  gemini: FakeGeminiServer;
  close(): Promise<void>;
}

export async function startVendors(options: { streamChunkDelayMs?: number } = {}, openaiOptions: { streamDeltaChars?: number } = {}): Promise<Vendors> {
  const [openai, anthropic, gemini] = await Promise.all([
    startFakeOpenAIServer({ apiKey: OPENAI_KEY, ...options, ...openaiOptions }),
    startFakeAnthropicServer({ apiKey: ANTHROPIC_KEY, ...options }),
    startFakeGeminiServer({ apiKey: GOOGLE_KEY, ...options }),
  ]);
  return {
    openai,
    anthropic,
    gemini,
    close: async () => {
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    },
  };
}

/** No retry, so that a fault the test enqueues is the answer the gateway sees. */
const once = { retry: { maxAttempts: 1 } };

/** A gateway config with one route per vendor, and routes with policies. */
export function gatewayConfig(vendors: Vendors, extra: (urls: { openai: string; anthropic: string; gemini: string }) => unknown[] = () => []): Record<string, unknown> {
  const openai = { baseURL: vendors.openai.url, apiKey: OPENAI_KEY, maxRetries: 0 };
  const anthropic = { baseURL: vendors.anthropic.url, apiKey: ANTHROPIC_KEY };
  const google = { baseURL: vendors.gemini.url, apiKey: GOOGLE_KEY };
  return {
    providers: [
      { id: 'openai:gpt-4o-mini', label: 'gpt', config: openai, ...once },
      { id: 'anthropic:claude-haiku-4-5', label: 'claude', config: anthropic, ...once },
      { id: 'google:gemini-2.5-flash', label: 'gemini', config: google, ...once },
      // OpenAI first; when it fails, Anthropic answers.
      { id: 'openai:gpt-4o-mini', label: 'resilient', config: openai, ...once, fallbacks: ['claude'] },
      { id: 'openai:text-embedding-3-small', label: 'embed', config: openai },
      ...extra({ openai: vendors.openai.url, anthropic: vendors.anthropic.url, gemini: vendors.gemini.url }),
    ],
  };
}

export interface Harness {
  vendors: Vendors;
  lab: Lab;
  gateway: Gateway;
  client: OpenAI;
  close(): Promise<void>;
}

/** Fake vendors, a lab, a gateway in front of them, and the official OpenAI SDK pointed at it. */
export async function startHarness(
  options: Partial<StartGatewayOptions> & { streamChunkDelayMs?: number; streamDeltaChars?: number; extraRoutes?: Parameters<typeof gatewayConfig>[1] } = {},
): Promise<Harness> {
  const { streamChunkDelayMs, streamDeltaChars, extraRoutes, ...gatewayOptions } = options;
  const vendors = await startVendors(streamChunkDelayMs !== undefined ? { streamChunkDelayMs } : {}, streamDeltaChars !== undefined ? { streamDeltaChars } : {});
  const lab = createLab({ cwd: await mkdtemp(join(tmpdir(), 'llm-lab-gateway-')) });
  const gateway = await startGateway({ lab, config: gatewayConfig(vendors, extraRoutes), port: 0, metrics: true, ...gatewayOptions });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-client-key', maxRetries: 0 });
  return {
    vendors,
    lab,
    gateway,
    client,
    close: async () => {
      await gateway.close();
      await lab.close();
      await vendors.close();
    },
  };
}
