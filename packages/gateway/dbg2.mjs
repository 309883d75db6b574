import { createLab } from '@llm-lab/lab';
import { startGateway } from '@llm-lab/gateway';
const lab = createLab({ cwd: '/tmp' });
const gw = await startGateway({ lab, port: 0, config: { providers: [{ id: 'openai:gpt-4o-mini', label: 'gpt', config: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'sk-x' } }] } });
const { spawn } = await import('node:child_process');
const args = process.argv.slice(2).map((p) => gw.url + p);
const c = spawn('curl', ['-s', '-m', '3', '-w', '%{http_code}\n', ...args], { stdio: 'inherit' });
await new Promise((r) => c.on('exit', r));
await gw.close(); await lab.close();
