// Fallback benchmark server when ../shared/bench is absent: the testkit's fake OpenAI server,
// answering like the shared one ("Answer: <first word of the last user message>").
import { startFakeOpenAIServer } from '@llm-lab/provider-testkit';

const server = await startFakeOpenAIServer({
  port: Number(process.env.PORT ?? 0),
  latencyMs: Number(process.env.LATENCY_MS ?? 20),
  responder: (body) => {
    const last = body.messages.at(-1);
    const text = typeof last?.content === 'string' ? last.content : '';
    return `Answer: ${(text.trim().split(/\s+/)[0] ?? '').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')}`;
  },
});
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
