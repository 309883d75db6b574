// Times the sanitiser on 1 MB of log-like text: `node scripts/bench-sanitise.mjs [--secrets N]`
// (after `pnpm build`). Prints the median of 15 passes, for the package README.
import { registerSecret, sanitise } from '../dist/index.js';

const count = Number(process.argv[process.argv.indexOf('--secrets') + 1]) || 20;
for (let index = 0; index < count; index++) registerSecret(`registered-secret-${index.toString(36)}-${'x'.repeat(index % 30)}Q9`);

const lines = [
  '{"level":30,"time":1765100000000,"msg":"provider call finished","provider":"openai","model":"gpt-4o-mini","latencyMs":812}',
  'The quick brown fox jumps over the lazy dog; https://example.com/docs?id=42 and commit 9fceb02d0ae598e95dc970b74767f19372d61af8.',
  'run 3f2504e0-4f89-11d3-9a0c-0305e82c3301: answered "Paris is the capital of France." in 3 tokens',
];
let text = '';
let index = 0;
while (text.length < 1_000_000) {
  text += `${lines[index % lines.length]}\n`;
  // One credential every ~100 lines, so redaction work is measured too.
  if (index % 100 === 0) text += `retry with Bearer abc123def456ghi789 and postgres://lab:pw${index}@db/lab\n`;
  index++;
}

const times = [];
let out = '';
for (let pass = 0; pass < 15; pass++) {
  const started = process.hrtime.bigint();
  out = sanitise(text);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
}
times.sort((a, b) => a - b);
const redactions = out.split('[REDACTED]').length - 1;
console.log(`1 MB (${(text.length / 1e6).toFixed(2)} M chars), ${count} registered secrets: median ${times[7].toFixed(1)} ms, min ${times[0].toFixed(1)} ms; ${redactions} redactions`);
