import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLab, type Lab } from '@llm-lab/lab';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@llm-lab/provider-testkit';
import type { Storage } from '@llm-lab/storage';
import { probesSchema, readSeries, runProbe, startProbes, type ProbeConfig, type ProbeOutcome, type ProbeTimers } from '../src/index.js';

/** A safety net for a loaded machine (the embedded database opens, runs go through HTTP), not a measure. */
const TIMEOUT_MS = 300_000;
const API_KEY = 'sk-probe-test-0123456789';
const MINUTE = 60_000;

/**
 * A clock the test moves: timers fire when it passes their time, in order. Nothing here waits for
 * real time; each probe run is awaited through its outcome.
 */
class FakeClock implements ProbeTimers {
  time: number;
  private timers: Array<{ id: number; at: number; callback: () => void }> = [];
  private nextId = 1;
  constructor(start: number) {
    this.time = start;
  }
  now = (): number => this.time;
  set(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.time + delayMs, callback });
    return id;
  }
  clear(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  pending(): number {
    return this.timers.length;
  }
  /** Moves to `to`, firing every timer due on the way at its own time. */
  advanceTo(to: number): void {
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = to;
  }
}

const folder = mkdtempSync(join(tmpdir(), 'llm-lab-probes-'));
let server: FakeOpenAIServer;
let lab: Lab;
let storage: Storage;
/** Held answers: while set, every chat request waits for it (a probe run that takes long). */
let gate: Promise<void> | undefined;

// Arithmetic the fake model gets right for three of the first four questions, and right for the fifth.
const ANSWERS: Record<string, string> = { 'What is 2 + 2?': '4', 'What is 3 + 5?': '8', 'What is 10 - 7?': '3', 'What is 6 * 7?': '41', 'What is 9 + 9?': '18' };
const questionIn = (text: string) => Object.keys(ANSWERS).find((question) => text.includes(question));

beforeAll(async () => {
  server = await startFakeOpenAIServer({
    apiKey: API_KEY,
    responder: async (body) => {
      if (gate) await gate;
      const last = (body.messages as Array<{ content?: unknown }>).at(-1);
      const question = questionIn(typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content));
      return question ? `Let me think.\n#### ${ANSWERS[question]}` : 'I do not know.';
    },
  });
  // A run config the first probe uses; its own provider is replaced by the probe's.
  const rows = Object.keys(ANSWERS).map((question) => ({ question, answer: question === 'What is 6 * 7?' ? '42' : (ANSWERS[question] as string) }));
  writeFileSync(
    join(folder, 'arithmetic.yaml'),
    ['providers: [mock:echo]', 'prompts: ["{{question}}"]', `dataset: { rows: ${JSON.stringify(rows)} }`, "evaluators: [{ type: numeric, value: '{{answer}}' }]", ''].join('\n'),
  );
  // The same questions as a GSM8K file (`#### n` answers), for the suite probe.
  writeFileSync(join(folder, 'gsm8k.jsonl'), rows.map((row) => JSON.stringify({ question: row.question, answer: `Work.\n#### ${row.answer}` })).join('\n') + '\n');
  lab = createLab({ cwd: folder, dataDir: join(folder, 'db') });
  storage = await lab.openStorage();
}, TIMEOUT_MS);

afterAll(async () => {
  await lab?.close();
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
}, TIMEOUT_MS);

const provider = () => ({ id: 'openai:gpt-4o-mini', label: 'probe-mini', config: { baseURL: server.url, apiKey: API_KEY } });

describe('probes', () => {
  it('runs on its cron schedule (fake clock), records the known accuracy as a probe point, and skips a run while the last one goes on', async () => {
    const [probe] = probesSchema.parse([{ name: 'arithmetic', provider: provider(), config: 'arithmetic.yaml', limit: 4, schedule: '*/15 * * * *', timezone: 'UTC' }]) as [ProbeConfig];
    const clock = new FakeClock(Date.UTC(2026, 11, 7, 10, 7, 0));
    const outcomes: ProbeOutcome[] = [];
    let finished: (outcome: ProbeOutcome) => void = () => undefined;
    const errors: unknown[] = [];
    const stop = startProbes([probe], {
      lab,
      store: storage,
      now: clock.now,
      timers: clock,
      baseDir: folder,
      onOutcome: (outcome) => {
        outcomes.push(outcome);
        finished(outcome);
      },
      onError: (_name, error) => errors.push(error),
    });
    try {
      // croner's next time for */15 after 10:07 is 10:15; nothing runs before it.
      expect(stop.stats().arithmetic).toMatchObject({ started: 0, nextRun: Date.UTC(2026, 11, 7, 10, 15, 0) });
      clock.advanceTo(Date.UTC(2026, 11, 7, 10, 14, 59));
      expect(stop.stats().arithmetic?.started).toBe(0);

      // 10:15: the probe runs, with its answers held back until 10:30 has come too.
      let release: () => void = () => undefined;
      gate = new Promise((resolve) => (release = resolve));
      const first = new Promise<ProbeOutcome>((resolve) => (finished = resolve));
      clock.advanceTo(Date.UTC(2026, 11, 7, 10, 15, 0));
      expect(stop.stats().arithmetic).toMatchObject({ started: 1, skipped: 0, nextRun: Date.UTC(2026, 11, 7, 10, 30, 0) });
      clock.advanceTo(Date.UTC(2026, 11, 7, 10, 30, 0));
      expect(stop.stats().arithmetic).toMatchObject({ started: 1, skipped: 1, nextRun: Date.UTC(2026, 11, 7, 10, 45, 0) });
      gate = undefined;
      release();
      const outcome = await first;
      expect(errors).toEqual([]);
      // Three right of the first four (the fifth, also right, is past the limit).
      expect(outcome).toMatchObject({ probe: 'arithmetic', score: 0.75, passed: 3, failed: 1, errors: 0 });
      expect(stop.isProbeRun(outcome.runId)).toBe(true);
      expect(stop.isProbeRun('run-of-someone-else')).toBe(false);
      const stored = await lab.getRun(outcome.runId);
      expect(stored?.counts).toMatchObject({ passed: 3, failed: 1 });

      // The score is a probe point of the probe's provider, named by the probe, read as a series.
      const series = await readSeries(storage, { metric: 'probe_score', provider: 'probe-mini', source: 'probe', sinceMs: 6 * 60 * MINUTE, now: clock.now() + MINUTE });
      expect(series.points.map((point) => [point.start, point.value])).toEqual([[outcome.recordedAt, 0.75]]);
      const [point] = await storage.readMetricPoints({ resolution: '1m', provider: 'probe-mini', source: 'probe' });
      expect(point).toMatchObject({ providerId: 'probe-mini', provider: 'openai', model: 'gpt-4o-mini', route: 'arithmetic' });
    } finally {
      gate = undefined;
      await stop();
    }
    expect(clock.pending()).toBe(0);
    expect(stop.stats().arithmetic?.nextRun).toBeUndefined();
    expect(outcomes).toHaveLength(1);
  }, TIMEOUT_MS);

  it('runs a bench suite slice (GSM8K, limit 4) through the lab and records its score', async () => {
    const [probe] = probesSchema.parse([{ name: 'gsm8k-slice', provider: provider(), suite: 'gsm8k', data: 'gsm8k.jsonl', limit: 4, schedule: '0 * * * *' }]) as [ProbeConfig];
    const before = server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
    const outcome = await runProbe(probe, { lab, store: storage, now: () => Date.UTC(2026, 11, 7, 11, 0, 30), baseDir: folder });
    expect(outcome).toMatchObject({ score: 0.75, passed: 3, failed: 1, recordedAt: Date.UTC(2026, 11, 7, 11, 0, 0) });
    expect(server.requests.filter((request) => request.path.endsWith('/chat/completions')).length - before).toBe(4);
    const [point] = await storage.readMetricPoints({ resolution: '1m', provider: 'probe-mini', route: 'gsm8k-slice' });
    expect(point).toMatchObject({ probeScoreSum: 0.75, probeScoreCount: 1, count: 0 });
  }, TIMEOUT_MS);

  it('reports a probe whose config cannot be read, naming the file, and records nothing', async () => {
    const [probe] = probesSchema.parse([{ name: 'lost', provider: provider(), config: 'missing.yaml', schedule: '* * * * *' }]) as [ProbeConfig];
    await expect(runProbe(probe, { lab, store: storage, baseDir: folder })).rejects.toThrow(/missing\.yaml: probe "lost" cannot read its config: ENOENT; check its config: path/);
    expect(await storage.readMetricPoints({ resolution: '1m', route: 'lost' })).toEqual([]);
  }, TIMEOUT_MS);

  it('refuses a probe without an eval, with a bad schedule, or named twice, saying what to write', () => {
    const base = { provider: 'openai:gpt-4o-mini', schedule: '*/5 * * * *' };
    const message = (input: unknown) => {
      const parsed = probesSchema.safeParse(input);
      return parsed.success ? 'valid' : parsed.error.issues.map((issue) => issue.message).join('\n');
    };
    expect(message([{ ...base, name: 'a' }])).toContain('probe "a" needs exactly one eval: config: <run config file> or suite: <bench suite>');
    expect(message([{ ...base, name: 'a', suite: 'gsm8k', config: 'x.yaml' }])).toContain('needs exactly one eval');
    expect(message([{ ...base, name: 'a', suite: 'gsm8k', schedule: 'every 5 minutes' }])).toMatch(/schedule "every 5 minutes" is not a cron expression .*; write e\.g\. "\*\/15 \* \* \* \*"/);
    expect(message([{ ...base, name: 'a', suite: 'gsm8k', schedule: '61 * * * *' }])).toContain('minute');
    expect(message([{ ...base, name: 'a', suite: 'gsm8k' }, { ...base, name: 'a', suite: 'mmlu' }])).toContain('two probes are named "a"');
    expect(message([{ ...base, name: 'a', suite: 'gsm8k', timezone: 'Mars/Olympus' }])).toContain('timezone "Mars/Olympus" is not an IANA time zone; write e.g. Europe/Berlin');
    expect(message([{ ...base, name: 'a', config: 'x.yaml', data: 'd.jsonl' }])).toContain('data: goes with suite:');
    expect(message([{ ...base, name: 'a', suite: 'gsm8k', limit: 20, timezone: 'Europe/Berlin' }])).toBe('valid');
  });
});
