import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { ChatMessage, GenerateRequest, SamplingConfig } from '@llm-lab/core';
import { ExitCode } from '../errors.js';
import { dim, formatMs, useColour } from '../output/format.js';
import { openLab } from './shared.js';

export interface ChatFlags {
  config?: string;
  modelsDir?: string;
  system?: string;
  temperature?: number;
  maxTokens?: number;
  json?: boolean;
}

/**
 * `llm-lab chat <provider> [message]`: streams a model's answer token by token. Without a message
 * on a terminal, it keeps a conversation going until an empty line or Ctrl-D.
 */
export async function chatCommand(providerRef: string, message: string | undefined, flags: ChatFlags): Promise<number> {
  // The folder gguf:<name> is looked up in, for this command: the variable the gguf provider
  // reads, so a config entry's own `modelsDir` still wins.
  if (flags.modelsDir !== undefined) process.env.LLM_LAB_MODELS_DIR = resolve(flags.modelsDir);
  const lab = await openLab({});
  const { provider, settings } = await lab.createProvider(providerRef, flags.config);
  const sampling: SamplingConfig = {
    ...settings,
    ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
    ...(flags.maxTokens !== undefined ? { maxTokens: flags.maxTokens } : {}),
  };
  const history: ChatMessage[] = flags.system ? [{ role: 'system', content: flags.system }] : [];
  const colour = useColour(process.stderr);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('cancelled by the user'));
  process.on('SIGINT', onSigint);

  const turn = async (content: string) => {
    history.push({ role: 'user', content });
    const request: GenerateRequest = { ...sampling, messages: [...history] };
    let text = '';
    for await (const part of provider.streamGenerate(request, { signal: controller.signal })) {
      if (part.type === 'text-delta') {
        text += part.text;
        if (!flags.json) process.stdout.write(part.text);
      } else if (part.type === 'finish') {
        const { response } = part;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(response)}\n`);
        } else {
          process.stdout.write('\n');
          process.stderr.write(
            dim(
              `${response.providerId} · ${response.finishReason} · first token ${formatMs(response.timeToFirstTokenMs)} · ` +
                `${formatMs(response.latencyMs)} · ${response.usage.inputTokens} in / ${response.usage.outputTokens} out` +
                (response.cost ? ` · $${response.cost.totalUsd.toFixed(6)}` : '') +
                (response.warnings.length > 0 ? ` · warnings: ${response.warnings.map((warning) => warning.message).join('; ')}` : '') +
                '\n',
              colour,
            ),
          );
        }
      }
    }
    history.push({ role: 'assistant', content: text });
  };

  try {
    if (message !== undefined) {
      await turn(message);
      return ExitCode.ok;
    }
    if (!process.stdin.isTTY) {
      let input = '';
      for await (const chunk of process.stdin) input += String(chunk);
      if (input.trim() === '') {
        process.stderr.write('No message: pass one as an argument or on standard input.\n');
        return ExitCode.badInput;
      }
      await turn(input.trim());
      return ExitCode.ok;
    }
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    process.stderr.write(dim(`Chatting with ${provider.id}. An empty line or Ctrl-D ends.\n`, colour));
    try {
      for (;;) {
        const line = await prompt.question('> ').catch(() => '');
        if (line.trim() === '') break;
        await turn(line);
      }
    } finally {
      prompt.close();
    }
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', onSigint);
    await provider.close?.();
    await lab.close();
  }
}
