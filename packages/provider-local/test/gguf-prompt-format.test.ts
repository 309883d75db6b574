import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isProviderError, type ChatMessage, type ConfigError } from '@llm-lab/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, LlamaText, Token } from 'node-llama-cpp';
import { createGguf, flattenMessagesToPrompt, promptToString, readGgufMetadata, renderChatTemplatePrompt, renderCompletionPrompt, toChatHistory, type GgufChatModel } from '../src/index.js';
import { nodeLlamaCppAvailable, skipNotice, STORIES_MODEL } from './helpers.js';
import { copyGgufWithMetadata, writeGgufFixture } from './support/gguf-file.js';

/**
 * A chat template in the Jinja form GGUF files carry in `tokenizer.chat_template`. Deliberately
 * unlike any known format, so node-llama-cpp renders it as Jinja (no built-in wrapper stands in),
 * and it writes `{{ bos_token }}` as many real templates do.
 */
const TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '[' + message['role'] + ']\\n' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '[assistant]\\n' }}{% endif %}";

const STORY: ChatMessage[] = [
  { role: 'system', content: 'Tell a story.' },
  { role: 'user', content: 'Once upon a time' },
];
/** What TEMPLATE renders STORY as, written out by hand. */
const STORY_RENDERED = '[system]\nTell a story.\n[user]\nOnce upon a time\n[assistant]\n';

const engineAvailable = await nodeLlamaCppAvailable();
if (!engineAvailable) skipNotice('node-llama-cpp is not installed (chat template rendering tests)');
const describeEngine = engineAvailable ? describe : describe.skip;

describe('GGUF prompt formats (no model)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lab-gguf-format-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps a conversation to a chat history that ends with the model to answer (or continuing its prefilled answer)', () => {
    expect(toChatHistory([...STORY, { role: 'assistant', content: 'There was' }, { role: 'tool', content: '42' }])).toEqual([
      { type: 'system', text: 'Tell a story.' },
      { type: 'user', text: 'Once upon a time' },
      { type: 'model', response: ['There was'] },
      { type: 'user', text: 'Tool: 42' },
      { type: 'model', response: [] },
    ]);
    expect(toChatHistory([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hel' }]).at(-1)).toEqual({ type: 'model', response: ['Hel'] });
  });

  it('formats a base model prompt as the flattened conversation, with its stop sequences', () => {
    const conversation: ChatMessage[] = [...STORY, { role: 'assistant', content: 'Hi.' }, { role: 'user', content: 'More' }];
    const flattened = flattenMessagesToPrompt(conversation);
    expect(renderCompletionPrompt(conversation)).toEqual({ format: 'completion', text: flattened.prompt, stop: flattened.stop });
    expect(renderCompletionPrompt(STORY)).toEqual({ format: 'completion', text: 'Tell a story.\n\nOnce upon a time', stop: [] });
  });

  it('validates config.promptFormat, and refuses chat-template for a model file without a template, naming the file', () => {
    expect(() => createGguf({ promptFormat: 'chatml' as never })).toThrow(/config\.promptFormat/);
    const plain = join(dir, 'plain.gguf');
    writeGgufFixture(plain, [['general.architecture', 'llama']]);
    let error: ConfigError | undefined;
    try {
      createGguf({ promptFormat: 'chat-template' }).chat(plain);
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.name).toBe('ConfigError');
    expect(error?.message).toContain(`the GGUF model ${plain} has no chat template`);
    expect(error?.message).toContain("promptFormat to 'completion'");
    // Without a template, auto and completion are fine; a file with a template passes chat-template.
    expect(createGguf({}).chat(plain).path).toBe(plain);
    const templated = join(dir, 'templated.gguf');
    writeGgufFixture(templated, [['general.architecture', 'llama'], ['tokenizer.chat_template', TEMPLATE]]);
    expect(readGgufMetadata(templated).hasChatTemplate).toBe(true);
    expect(createGguf({ promptFormat: 'chat-template' }).chat(templated).path).toBe(templated);
  });
});

describeEngine('GGUF chat template rendering (node-llama-cpp, no model)', () => {
  it('renders a conversation through a Jinja chat template, special tokens marked, with the generation prompt last', async () => {
    const { JinjaTemplateChatWrapper } = await import('node-llama-cpp');
    const prompt = renderChatTemplatePrompt(new JinjaTemplateChatWrapper({ template: TEMPLATE }), STORY);
    expect(prompt.format).toBe('chat-template');
    expect(promptToString(prompt.text)).toBe(`<BOS>${STORY_RENDERED}`);
    // The message texts stay text (not parsed for special tokens); the template's own text is special.
    const values = (prompt.text as LlamaText).toJSON();
    expect(values).toContain('Once upon a time');
    expect(values).toContainEqual({ type: 'specialTokensText', value: '\n[assistant]\n' });
    // The model's turn ends at its end-of-sequence token.
    expect(prompt.stop.map((stop) => JSON.stringify((stop as LlamaText).toJSON()))).toContain(JSON.stringify([{ type: 'specialToken', value: 'EOS' }]));
  });

  it('renders a ChatML template, as chat models ship it, to its exact text', async () => {
    const { JinjaTemplateChatWrapper } = await import('node-llama-cpp');
    const chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const prompt = renderChatTemplatePrompt(new JinjaTemplateChatWrapper({ template: chatml }), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Name a colour' },
    ]);
    expect(promptToString(prompt.text)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nName a colour<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(prompt.stop.map((stop) => promptToString(stop))).toContain('<|im_end|>\n');
  });
});

const available = STORIES_MODEL !== undefined && engineAvailable;
if (engineAvailable && STORIES_MODEL === undefined) skipNotice('stories260K.gguf not found in ../shared/models (chat template tests on a real model)');
const describeReal = available ? describe : describe.skip;

describeReal('GGUF chat templates on a real model (stories260K.gguf from ../shared/models, copied with a template added)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-lab-gguf-template-'));
  const templatedPath = join(dir, 'stories-with-template.gguf');
  let templated: GgufChatModel;
  let completion: GgufChatModel;
  let llama: Llama;
  let direct: LlamaModel;
  let context: LlamaContext;
  let sequence: LlamaContextSequence;
  /** What node-llama-cpp itself renders STORY as with TEMPLATE, for the reference computations. */
  let reference: { text: LlamaText; stop: LlamaText[] };

  beforeAll(async () => {
    copyGgufWithMetadata(STORIES_MODEL as string, templatedPath, { 'tokenizer.chat_template': TEMPLATE });
    templated = createGguf({ threads: 1, contextSize: 256 }).chat(templatedPath);
    completion = createGguf({ threads: 1, contextSize: 256, promptFormat: 'completion' }).chat(templatedPath);
    const engine = await import('node-llama-cpp');
    llama = await engine.getLlama({ gpu: false, logLevel: 'error' as never, build: 'never' });
    direct = await llama.loadModel({ modelPath: templatedPath });
    context = await direct.createContext({ contextSize: 256, threads: 1 });
    sequence = context.getSequence();
    const state = new engine.JinjaTemplateChatWrapper({ template: TEMPLATE, tokenizer: direct.tokenizer }).generateContextState({
      chatHistory: [{ type: 'system', text: 'Tell a story.' }, { type: 'user', text: 'Once upon a time' }, { type: 'model', response: [] }],
    });
    reference = { text: state.contextText, stop: [...state.stopGenerationTriggers] };
  });
  afterAll(async () => {
    await templated?.close();
    await completion?.close();
    await context?.dispose();
    await direct?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the copy carries the template in its GGUF metadata, as node-llama-cpp reads it', () => {
    expect(readGgufMetadata(templatedPath).hasChatTemplate).toBe(true);
    expect(direct.fileInfo.metadata.tokenizer.chat_template).toBe(TEMPLATE);
  });

  it('auto formats chat turns with the template from the metadata: exact text, one beginning-of-sequence token', async () => {
    const prompt = await templated.formatPrompt(STORY);
    expect(prompt.format).toBe('chat-template');
    expect(prompt.text).toBe(`<s>${STORY_RENDERED}`);
    const bos = direct.tokens.bos as Token;
    expect(prompt.tokens[0]).toBe(bos);
    expect(prompt.tokens.filter((token) => token === bos)).toHaveLength(1); // the template's bos_token and the model's are not doubled
    expect(prompt.tokens).toEqual(reference.text.tokenize(direct.tokenizer));
  });

  it('completion ignores the template, and auto on a model without one is plain completion', async () => {
    expect(await completion.formatPrompt(STORY)).toMatchObject({ format: 'completion', text: 'Tell a story.\n\nOnce upon a time' });
    const plain = createGguf({ threads: 1 }).chat(STORIES_MODEL as string);
    try {
      expect(await plain.formatPrompt(STORY)).toMatchObject({ format: 'completion', text: 'Tell a story.\n\nOnce upon a time' });
      expect((await plain.formatPrompt(STORY)).tokens).toEqual([direct.tokens.bos, ...direct.tokenize('Tell a story.\n\nOnce upon a time', false)]);
    } finally {
      await plain.close();
    }
    // chat-template on the model without a template is refused before anything loads.
    expect(() => createGguf({ promptFormat: 'chat-template' }).chat(STORIES_MODEL as string)).toThrow(`the GGUF model ${STORIES_MODEL} has no chat template`);
  });

  it('generates from the rendered template: the same text node-llama-cpp completes from it, greedily', async () => {
    const response = await templated.generate({ messages: STORY, maxTokens: 16, temperature: 0 });
    const tokens = reference.text.tokenize(direct.tokenizer);
    expect(response.usage.inputTokens).toBe(tokens.length);
    await sequence.clearHistory();
    const { LlamaCompletion } = await import('node-llama-cpp');
    const expected = await new LlamaCompletion({ contextSequence: sequence }).generateCompletion(tokens.slice(1), {
      maxTokens: 16,
      temperature: 0,
      customStopTriggers: reference.stop,
    });
    expect(response.text).toBe(expected);
    expect(response.text.length).toBeGreaterThan(0);
  });

  it('scores completions after the rendered template, as generation reads it, not after the flattened text', async () => {
    const choices = [' girl', 'There was a dog'];
    const scores = await templated.scoreCompletions({ messages: STORY, completions: choices });
    for (const [index, choice] of choices.entries()) {
      // Reference: each continuation token's probability from a fresh sequence holding everything before it.
      const contextTokens = reference.text.tokenize(direct.tokenizer);
      const whole = reference.text.concat(choice).tokenize(direct.tokenizer);
      expect(whole.slice(0, contextTokens.length)).toEqual(contextTokens);
      let logprob = 0;
      for (let at = contextTokens.length; at < whole.length; at += 1) {
        await sequence.clearHistory();
        const prefix = whole.slice(0, at);
        const output = await sequence.controlledEvaluate(prefix.map((token, position) => (position === prefix.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
        logprob += Math.log(output[prefix.length - 1]?.next.probabilities?.get(whole[at] as Token) ?? 0);
      }
      expect(scores[index]?.tokens).toBe(whole.length - contextTokens.length);
      expect(scores[index]?.logprob).toBeCloseTo(logprob, 4);
    }
    // The same model and completion scored after the flattened prompt gets another log-likelihood.
    const flat = await completion.scoreCompletions({ messages: STORY, completions: choices });
    expect(Math.abs((flat[0]?.logprob ?? 0) - (scores[0]?.logprob ?? 0))).toBeGreaterThan(1e-3);
  });

  it('refuses chat-template on a model whose template cannot be parsed, as a bad request naming the file', async () => {
    const broken = join(dir, 'broken-template.gguf');
    copyGgufWithMetadata(STORIES_MODEL as string, broken, { 'tokenizer.chat_template': '{% for message in messages %}{{ message.content ' });
    const model = createGguf({ threads: 1, contextSize: 256 }).chat(broken);
    try {
      const error = await model.generate({ messages: STORY, maxTokens: 4 }).catch((caught: unknown) => caught);
      expect(isProviderError(error) && error.kind).toBe('bad-request');
      expect((error as Error).message).toContain(`The chat template of the GGUF model ${broken} cannot be used`);
      expect((error as Error).message).toContain("promptFormat 'completion'");
    } finally {
      await model.close();
    }
  });
});
