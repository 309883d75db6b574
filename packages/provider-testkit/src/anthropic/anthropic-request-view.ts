/**
 * Reads an Anthropic Messages request body back in vendor-neutral terms (the conformance suite's
 * {@link NeutralRequestView}), and checks the tool-use rules Anthropic enforces.
 */
import type { NeutralRequestView } from '../fake-server-control.js';
import type { MessagesRequestBody } from './anthropic-wire.js';

type Block = Record<string, unknown>;

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter((block): block is Block => typeof block === 'object' && block !== null) : [];
}

function textOfResult(content: unknown): string {
  return blocksOf(content)
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('');
}

/** The request in neutral terms: system text, messages (text, images, tool uses, tool results), tools, tool choice and output format. */
export function describeAnthropicRequest(body: MessagesRequestBody): NeutralRequestView {
  const messages: NeutralRequestView['messages'] = [];
  for (const message of Array.isArray(body.messages) ? (body.messages as Block[]) : []) {
    const blocks = blocksOf(message.content);
    const results = blocks.filter((block) => block.type === 'tool_result');
    const role = message.role === 'assistant' ? 'assistant' : results.length > 0 ? 'tool' : 'user';
    messages.push({
      role,
      text: blocks
        .filter((block) => block.type === 'text')
        .map((block) => String(block.text))
        .join(''),
      images: blocks
        .filter((block) => block.type === 'image')
        .map((block) => {
          const source = (block.source ?? {}) as Block;
          return source.type === 'url' ? { url: String(source.url) } : { mediaType: String(source.media_type), data: String(source.data) };
        }),
      toolCalls: blocks
        .filter((block) => block.type === 'tool_use')
        .map((block) => ({ id: String(block.id), name: String(block.name), arguments: JSON.stringify(block.input ?? {}) })),
      toolResults: results.map((block) => ({
        toolCallId: String(block.tool_use_id),
        result: textOfResult(block.content),
        ...(block.is_error === true ? { isError: true } : {}),
      })),
    });
  }
  const choice = body.tool_choice as Block | undefined;
  const toolChoice: NeutralRequestView['toolChoice'] =
    choice === undefined
      ? undefined
      : choice.type === 'any'
        ? 'required'
        : choice.type === 'tool'
          ? { name: String(choice.name) }
          : (choice.type as 'auto' | 'none');
  const format = ((body.output_config as Block | undefined)?.format ?? undefined) as Block | undefined;
  const system = typeof body.system === 'string' ? body.system : blocksOf(body.system).map((block) => String(block.text ?? '')).join('');
  return {
    ...(system ? { system } : {}),
    messages,
    tools: (Array.isArray(body.tools) ? (body.tools as Block[]) : []).map((tool) => ({
      name: String(tool.name),
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      ...(tool.input_schema ? { parameters: tool.input_schema as Record<string, unknown> } : {}),
    })),
    ...(toolChoice !== undefined ? { toolChoice } : {}),
    ...(format?.type === 'json_schema' ? { responseSchema: format.schema as Record<string, unknown> } : {}),
    json: format?.type === 'json_schema',
  };
}

/**
 * The `invalid_request_error` message Anthropic gives for broken tool use, or undefined: a
 * `tool_result` must answer a `tool_use` of the assistant message just before it, and come before
 * any other block of its user message; `tool_use` and `tool_result` blocks and a `tool_choice`
 * need `tools`.
 */
export function toolUseError(body: MessagesRequestBody): string | undefined {
  const messages = Array.isArray(body.messages) ? (body.messages as Block[]) : [];
  for (const [index, message] of messages.entries()) {
    const blocks = blocksOf(message.content);
    const unsigned = blocks.findIndex((block) => block.type === 'thinking' && (typeof block.signature !== 'string' || block.signature === ''));
    if (unsigned !== -1) return `messages.${index}.content.${unsigned}.thinking.signature: Field required`;
    const undated = blocks.findIndex((block) => block.type === 'redacted_thinking' && (typeof block.data !== 'string' || block.data === ''));
    if (undated !== -1) return `messages.${index}.content.${undated}.redacted_thinking.data: Field required`;
    const firstOther = blocks.findIndex((block) => block.type !== 'tool_result');
    const lastResult = blocks.map((block) => block.type).lastIndexOf('tool_result');
    if (lastResult === -1) continue;
    if (message.role !== 'user') return `messages.${index}.content.${lastResult}: tool_result blocks are only allowed in user messages`;
    if (firstOther !== -1 && firstOther < lastResult) {
      return `messages.${index}: \`tool_result\` blocks must come first in the content array of a user message, before any other content.`;
    }
    const previous = index > 0 ? blocksOf(messages[index - 1]!.content) : [];
    const ids = new Set(previous.filter((block) => block.type === 'tool_use').map((block) => String(block.id)));
    for (const [blockIndex, block] of blocks.entries()) {
      if (block.type === 'tool_result' && !ids.has(String(block.tool_use_id))) {
        return `messages.${index}.content.${blockIndex}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
  }
  // With thinking on, the assistant turn a tool loop continues (the last one with tool_use,
  // answered by the final user turn's tool_result) must open with its thinking, passed back.
  const last = messages.length - 1;
  const assistant = last >= 1 ? blocksOf(messages[last - 1]!.content) : [];
  const thinkingOn = (body.thinking as Block | undefined)?.type === 'enabled';
  if (thinkingOn && messages[last - 1]?.role === 'assistant' && assistant.some((block) => block.type === 'tool_use') && blocksOf(messages[last]!.content).some((block) => block.type === 'tool_result')) {
    const first = assistant[0]?.type;
    if (first !== 'thinking' && first !== 'redacted_thinking') {
      return `messages.${last - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
    }
  }
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  const usesTools = messages.some((message) => blocksOf(message.content).some((block) => block.type === 'tool_use' || block.type === 'tool_result'));
  if (usesTools && !hasTools) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
  if (body.tool_choice !== undefined && !hasTools) {
    const type = (body.tool_choice as Block).type;
    if (type !== 'none') return 'tool_choice: tool_choice may only be specified while providing tools.';
  }
  return undefined;
}
