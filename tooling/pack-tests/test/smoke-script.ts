/**
 * The ES-module script run inside each empty project: it imports the installed provider package
 * and the installed @llm-lab/core only, registers the package's plugin in core's registry, calls
 * generate and streamGenerate, and prints one JSON line with what came back.
 */
export const SMOKE_SCRIPT = `
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { ProviderRegistry, CONTRACT_VERSION } from '@llm-lab/core';

const [packageName, providerName, model, configJson] = process.argv.slice(2);
const module = await import(packageName);
const candidates = [module.default, ...Object.values(module)].filter(
  (value) => typeof value === 'object' && value !== null && typeof value.create === 'function' && typeof value.name === 'string',
);
const plugin = candidates.find((value) => value.name === providerName);
if (!plugin) {
  console.error(\`\${packageName} exports no provider plugin named '\${providerName}' (it exports: \${candidates.map((value) => value.name).join(', ') || 'none'})\`);
  process.exit(2);
}
const registry = new ProviderRegistry().register(plugin, packageName);
const provider = registry.create(\`\${providerName}:\${model}\`, JSON.parse(configJson));
const whole = await provider.generate({ messages: [{ role: 'user', content: 'packed and installed' }] });
let deltas = '';
let finish;
for await (const part of provider.streamGenerate({ messages: [{ role: 'user', content: 'streamed from the tarball' }] })) {
  if (part.type === 'text-delta') deltas += part.text;
  if (part.type === 'finish') finish = part.response;
}
await provider.close?.();
const scope = existsSync('node_modules/@llm-lab') ? readdirSync('node_modules/@llm-lab') : [];
const installed = readdirSync('node_modules').filter((name) => name.startsWith('llm-lab')).concat(scope.map((name) => '@llm-lab/' + name));
console.log(JSON.stringify({
  contractVersion: CONTRACT_VERSION,
  coreVersion: JSON.parse(readFileSync('node_modules/@llm-lab/core/package.json', 'utf8')).version,
  installed: installed.sort(),
  whole: { text: whole.text, usage: whole.usage, providerId: whole.providerId, finishReason: whole.finishReason },
  stream: { deltas, text: finish?.text, usage: finish?.usage, finishReason: finish?.finishReason },
}));
`;
