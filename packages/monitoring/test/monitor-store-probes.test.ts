import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import type { Storage } from '@llm-lab/storage';
import { parseMonitorConfig, readSeries, startMonitor } from '../src/index.js';

/** A safety net for a loaded machine (the embedded database opens, runs go through HTTP), not a measure. */
const TIMEOUT_MS = 300_000;
const API_KEY = 'sk-monitor-wiring-0123456789';
const MINUTE = 60_000;

const folder = mkdtempSync(join(tmpdir(), 'llm-lab-monitor-wiring-'));
let server: FakeOpenAIServer;
let lab: Lab;
let storage: Storage;

beforeAll(async () => {
  // Echoes the prompt: three of the four cases pass (the fourth expects a word it never says).
  server = await startFakeOpenAIServer({ apiKey: API_KEY });
  const rows = [{ word: 'alpha', expect: 'alpha' }, { word: 'bravo', expect: 'bravo' }, { word: 'charlie', expect: 'charlie' }, { word: 'delta', expect: 'echo' }];
  writeFileSync(join(folder, 'echo.yaml'), ['providers: [mock:echo]', 'prompts: ["Say {{word}}"]', `dataset: { rows: ${JSON.stringify(rows)} }`, "evaluators: [{ type: contains, value: '{{expect}}' }]", ''].join('\n'));
  lab = createLab({ cwd: folder, dataDir: join(folder, 'db') });
  storage = await lab.openStorage();
}, TIMEOUT_MS);

afterAll(async () => {
  await lab?.close();
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
}, TIMEOUT_MS);

describe('a monitor with a store and probes (what llm-lab monitor start wires)', () => {
  it("stores every closed minute, labels the probe's calls as source probe, and records its score once", async () => {
    let time = Date.UTC(2026, 11, 7, 12, 0, 10);
    const now = () => time;
    const config = parseMonitorConfig({
      alerts: { rules: [{ name: 'quality', type: 'probe', drop: 0.1 }] },
      channels: {},
      probes: [{ name: 'echo', provider: { id: 'openai:gpt-4o-mini', label: 'probe-mini', config: { baseURL: server.url, apiKey: API_KEY } }, config: 'echo.yaml', schedule: '0 0 1 1 *' }],
    });
    const monitor = await startMonitor({ config, source: lab, probeLab: lab, store: storage, baseDir: folder, now, interval: false, channels: [] });
    const outcome = await monitor.probes!.runNow('echo');
    expect(outcome).toMatchObject({ score: 0.75, passed: 3, failed: 1 });
    time += 2 * MINUTE;
    await monitor.close();

    const since = { sinceMs: 10 * MINUTE, now: time, step: '1m' as const };
    const score = await readSeries(storage, { metric: 'probe_score', provider: 'probe-mini', source: 'probe', ...since });
    expect(score.points.map((point) => point.value)).toEqual([0.75]);
    // The probe's four calls were counted as probe traffic, not as a run's.
    const probeCalls = await readSeries(storage, { metric: 'count', provider: 'probe-mini', source: 'probe', ...since });
    expect(probeCalls.points.reduce((sum, point) => sum + (point.value ?? 0), 0)).toBe(4);
    const runCalls = await readSeries(storage, { metric: 'count', provider: 'probe-mini', source: 'run', ...since });
    expect(runCalls.points).toEqual([]);
    expect(monitor.sink?.stats()).toMatchObject({ dropped: 0 });
  }, TIMEOUT_MS);

  it('refuses probes without a lab to run them in, naming what to pass', async () => {
    const config = parseMonitorConfig({ alerts: { rules: [] }, channels: {}, probes: [{ name: 'p', provider: 'openai:gpt-4o-mini', config: 'echo.yaml', schedule: '* * * * *' }] });
    await expect(startMonitor({ config, interval: false, channels: [] })).rejects.toThrow(/probes:.*probeLab/);
  });
});
