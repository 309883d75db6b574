import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ProgressReporter, type ProgressClock, type ProgressState } from '../src/output/progress.js';

/** A stream that records what is written; `isTTY` as given. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

/** jest's fake timers behind the reporter's clock: time moves only when a test advances it. */
const fakeClock: ProgressClock = {
  now: () => jest.now(),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

const state = (done: number, total: number | undefined, extra: Partial<ProgressState> = {}): ProgressState => ({
  done,
  total,
  passed: done,
  failed: 0,
  errors: 0,
  ...extra,
});

/** The line a terminal shows after the last redraw. */
const shown = (writes: string[]) => (writes.at(-1) ?? '').replace(/^\r\u001b\[2K/, '');

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('progress on a terminal', () => {
  it('draws at once, before any result, and ticks every second while nothing arrives', () => {
    const stream = fakeStream(true);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    expect(stream.writes).toHaveLength(1);
    expect(shown(stream.writes)).toBe('starting · 0 ms');

    progress.update(state(0, 10));
    expect(shown(stream.writes)).toBe('[░░░░░░░░░░░░░░░░░░░░░░░░]   0% 0/10 · 0 passed · 0 failed · 0 errors · 0 ms');

    // A slow model: no result for 83 s, but the clock on the line keeps moving.
    jest.advanceTimersByTime(1000);
    expect(shown(stream.writes)).toMatch(/ 0% 0\/10 · .* · 1\.00 s$/);
    jest.advanceTimersByTime(82_000);
    expect(shown(stream.writes)).toMatch(/ 0% 0\/10 · .* · 1m 23s$/);
  });

  it('shows the rate and the time left, which grows while no result arrives', () => {
    const stream = fakeStream(true);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    progress.update(state(0, 10));
    jest.advanceTimersByTime(4000);
    progress.update(state(2, 10, { passed: 1, errors: 1 }));
    expect(shown(stream.writes)).toBe('[█████░░░░░░░░░░░░░░░░░░░]  20% 2/10 · 1 passed · 0 failed · 1 errors · 4.00 s · 0.5/s · ETA 16.0 s');
    jest.advanceTimersByTime(1000);
    expect(shown(stream.writes)).toMatch(/ 20% 2\/10 · .* · 5\.00 s · 24\/min · ETA 20\.0 s$/);
    jest.advanceTimersByTime(1000);
    progress.update(state(10, 10));
    expect(shown(stream.writes)).toMatch(/100% 10\/10 · 10 passed · 0 failed · 0 errors · 6\.00 s · 1\.7\/s$/);
  });

  it('leaves results skipped on resume out of the rate', () => {
    const stream = fakeStream(true);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    progress.update(state(0, 100));
    progress.update(state(90, 100, { passed: 0 }));
    jest.advanceTimersByTime(5000);
    progress.update(state(95, 100, { passed: 5 }));
    expect(shown(stream.writes)).toMatch(/ 95% 95\/100 · 5 passed · 0 failed · 0 errors · 5\.00 s · 1\.0\/s · ETA 5\.00 s$/);
  });

  it('stops ticking when finished, ending the line', () => {
    const stream = fakeStream(true);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    progress.update(state(3, 3));
    expect(jest.getTimerCount()).toBe(1);
    progress.finish();
    expect(jest.getTimerCount()).toBe(0);
    expect(stream.writes.at(-1)).toMatch(/100% 3\/3 .*\n$/);
    const written = stream.writes.length;
    jest.advanceTimersByTime(5000);
    progress.finish();
    expect(stream.writes).toHaveLength(written);
  });

  it('prints a message on its own line and redraws the progress line under it', () => {
    const stream = fakeStream(true);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    progress.update(state(1, 4));
    progress.print('skipped rows.jsonl:2: not JSON\n');
    expect(stream.writes.slice(-2)).toEqual(['\r\u001b[2Kskipped rows.jsonl:2: not JSON\n', expect.stringMatching(/^\r\u001b\[2K\[.*25% 1\/4/)]);
    progress.finish();
  });
});

describe('progress in a log (not a terminal)', () => {
  const plainLines = (writes: string[]) => writes.join('').split('\n').filter(Boolean);

  it('prints the start, every 10% step and the end, however fast results come', () => {
    const expected: Record<number, string[]> = {
      100: ['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100'],
      25: ['0', '12', '20', '32', '40', '52', '60', '72', '80', '92', '100'],
      7: ['0', '14', '28', '42', '57', '71', '85', '100'],
    };
    for (const total of [100, 25, 7]) {
      const stream = fakeStream(false);
      const progress = new ProgressReporter(stream, fakeClock);
      progress.start();
      for (let done = 0; done <= total; done += 1) progress.update(state(done, total));
      progress.finish();
      const percents = plainLines(stream.writes).map((line) => /^progress\s+(\d+)% /.exec(line)?.[1]);
      expect({ total, percents }).toEqual({ total, percents: expected[total] });
      expect(jest.getTimerCount()).toBe(0); // nothing ticks in a log
    }
  });

  it('ends with the last state when the run stops before the end', () => {
    const stream = fakeStream(false);
    const progress = new ProgressReporter(stream, fakeClock);
    progress.start();
    for (let done = 0; done <= 37; done += 1) progress.update(state(done, 100));
    progress.finish();
    const lines = plainLines(stream.writes);
    expect(lines.at(-2)).toMatch(/^progress  30% 30\/100 /);
    expect(lines.at(-1)).toMatch(/^progress  37% 37\/100 · 37 passed/);
    expect(lines).toHaveLength(5);
  });

  it('prints a line every 100 results while the total is unknown', () => {
    const stream = fakeStream(false);
    const progress = new ProgressReporter(stream, fakeClock);
    for (let done = 1; done <= 250; done += 1) progress.update(state(done, undefined));
    progress.finish();
    expect(plainLines(stream.writes).map((line) => line.split(' ')[0])).toEqual(['1', '100', '200', '250']);
  });
});
