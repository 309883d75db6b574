import {
  ConfigError,
  type BatchItemResult,
  type BatchOptions,
  type ChatMessage,
  type GenerateRequest,
  type GenerateResponse,
  type StreamPart,
  type ToolCall,
} from '@llm-lab/core';
import { PiiGuard, type PiiConversation } from '@llm-lab/security';
import type { PiiPolicySettings } from './config-schema.js';
import { ManagedProvider, type ManagedCallOptions } from './managed-provider.js';

/** The guard of a provider entry's `pii:` block; an entity type no detector knows is a ConfigError at `pii`. */
export function piiGuardOf(settings: PiiPolicySettings, label: string): PiiGuard {
  try {
    return new PiiGuard({
      mode: settings.mode,
      before: settings.before,
      ...(settings.entities ? { entities: settings.entities } : {}),
      ...(settings.minScore !== undefined ? { minScore: settings.minScore } : {}),
      ...(settings.presidio ? { presidio: settings.presidio } : {}),
    });
  } catch (error) {
    throw new ConfigError({ message: `invalid PII policy for ${label}: ${(error as Error).message}`, path: 'pii' });
  }
}

/**
 * A managed provider whose entry's PII policy applies before the provider: each request's text
 * (messages, tool results, tool-call arguments) is masked or tokenised before it reaches the
 * cache, the events and the vendor; with `tokenize`, the answer's placeholders are replaced by the
 * originals again, in a whole answer and in a stream (a placeholder cut across deltas included).
 * Fallbacks run under this provider's policy. The cache holds the masked form only.
 */
export class PiiManagedProvider extends ManagedProvider {
  private get guard(): PiiGuard {
    return this.pii as PiiGuard;
  }

  override async generate(request: GenerateRequest, options: ManagedCallOptions = {}): Promise<GenerateResponse> {
    const conversation = this.guard.conversation();
    const response = await super.generate(await protectRequest(conversation, request), options);
    return restoreResponse(conversation, response);
  }

  override async *streamGenerate(request: GenerateRequest, options: ManagedCallOptions = {}): AsyncIterable<StreamPart> {
    const conversation = this.guard.conversation();
    const sent = await protectRequest(conversation, request);
    const vault = conversation.vault;
    if (!vault) {
      yield* super.streamGenerate(sent, options);
      return;
    }
    const text = vault.streamRestorer();
    const reasoning = vault.streamRestorer();
    for await (const part of super.streamGenerate(sent, options)) {
      if (part.type === 'text-delta' || part.type === 'reasoning-delta') {
        const restored = (part.type === 'text-delta' ? text : reasoning).push(part.text);
        if (restored !== '') yield { type: part.type, text: restored };
      } else if (part.type === 'finish') {
        const restText = text.flush();
        if (restText !== '') yield { type: 'text-delta', text: restText };
        const restReasoning = reasoning.flush();
        if (restReasoning !== '') yield { type: 'reasoning-delta', text: restReasoning };
        yield { type: 'finish', response: restoreResponse(conversation, part.response) };
      } else if (part.type === 'tool-call') {
        yield { ...part, toolCall: restoreToolCall(conversation, part.toolCall) };
      } else yield part;
    }
  }

  override async batchGenerate(requests: GenerateRequest[], options: BatchOptions & ManagedCallOptions = {}): Promise<BatchItemResult[]> {
    const conversations = requests.map(() => this.guard.conversation());
    const sent = await Promise.all(requests.map((request, index) => protectRequest(conversations[index] as PiiConversation, request)));
    const results = await super.batchGenerate(sent, options);
    return results.map((item, index) => (item.ok ? { ...item, response: restoreResponse(conversations[index] as PiiConversation, item.response) } : item));
  }
}

/** The request with the PII of every text replaced (images, tool definitions and signed reasoning are left as they are). */
async function protectRequest(conversation: PiiConversation, request: GenerateRequest): Promise<GenerateRequest> {
  const out = (text: string) => conversation.outbound(text);
  const messages = await Promise.all(
    request.messages.map(async (message): Promise<ChatMessage> => {
      if (typeof message.content === 'string') return { ...message, content: await out(message.content) } as ChatMessage;
      const parts = await Promise.all(
        message.content.map(async (part) => {
          switch (part.type) {
            case 'text':
              return { ...part, text: await out(part.text) };
            case 'tool-result':
              return { ...part, result: await out(part.result) };
            case 'tool-call':
              return { ...part, arguments: await out(part.arguments) };
            case 'reasoning':
              // A signed block is verified by the vendor: changing it would fail the call.
              return part.signature ? part : { ...part, text: await out(part.text) };
            default:
              return part;
          }
        }),
      );
      return { ...message, content: parts } as ChatMessage;
    }),
  );
  return { ...request, messages };
}

function restoreToolCall(conversation: PiiConversation, call: ToolCall): ToolCall {
  return { ...call, arguments: conversation.inbound(call.arguments) };
}

/** The answer with the originals back in place of the placeholders (unchanged when masking). */
function restoreResponse(conversation: PiiConversation, response: GenerateResponse): GenerateResponse {
  if (!conversation.vault) return response;
  const back = (text: string) => conversation.inbound(text);
  return {
    ...response,
    text: back(response.text),
    ...(response.reasoning !== undefined ? { reasoning: back(response.reasoning) } : {}),
    ...(response.toolCalls ? { toolCalls: response.toolCalls.map((call) => restoreToolCall(conversation, call)) } : {}),
    ...(response.choices
      ? {
          choices: response.choices.map((choice) => ({
            ...choice,
            text: back(choice.text),
            ...(choice.reasoning !== undefined ? { reasoning: back(choice.reasoning) } : {}),
            ...(choice.toolCalls ? { toolCalls: choice.toolCalls.map((call) => restoreToolCall(conversation, call)) } : {}),
          })),
        }
      : {}),
  };
}
