import { createOpenAI } from './dist/index.js';
import http from 'node:http';
const mode = process.argv[2]; const N = 5000, C = 64;
const base = 'http://127.0.0.1:18080/v1';
let call;
if (mode === 'raw') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  call = (i) => new Promise((res, rej) => { const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `term${i} is what? Reply briefly.` }], temperature: 0, max_tokens: 16 });
    const r = http.request({ agent, host: '127.0.0.1', port: 18080, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x', 'content-length': Buffer.byteLength(body) } }, (resp) => { const chunks = []; resp.on('data', c => chunks.push(c)); resp.on('end', () => res(JSON.parse(Buffer.concat(chunks).toString()))); });
    r.on('error', rej); r.end(body); });
} else {
  const p = createOpenAI({ baseURL: base, apiKey: 'dummy' }).chat('gpt-4o-mini');
  call = (i) => p.generate({ messages: [{ role: 'user', content: `term${i} is what? Reply briefly.` }], temperature: 0, maxTokens: 16 });
}
const t0 = performance.now(); const c0 = process.cpuUsage();
let next = 0; await Promise.all(Array.from({ length: C }, async () => { while (next < N) { const i = next++; await call(i); } }));
const c = process.cpuUsage(c0);
console.log(mode, 'wall', Math.round(performance.now() - t0), 'ms; cpu/call', ((c.user + c.system) / 1000 / N).toFixed(3), 'ms; rss', Math.round(process.memoryUsage().rss / 1048576));
