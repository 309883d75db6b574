import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { runCli } from './helpers.js';

// 120 rows of latency around 20 ms with a 90 ms spike on line 102 (row 100), timestamps with seconds.
const SERIES = fileURLToPath(new URL('./fixtures/monitor/latency.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'llm-lab-monitor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('llm-lab monitor detect', () => {
  it('prints the spike with its timestamp as written in the file', async () => {
    const result = await runCli(['monitor', 'detect', SERIES]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1 anomaly in 120 rows of .*latency\.csv \(the first 18 rows are warm-up/);
    expect(result.stdout).toContain('2024-05-01 01:40:30  value 90  score');
    expect(result.stdout).toContain('(line 102)');
  });

  it('gives JSON and every row with --json --scores', async () => {
    const result = await runCli(['monitor', 'detect', SERIES, '--json', '--scores']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { anomalies: { timestamp: string; row: number }[]; scores: { score: number }[]; warmupRows: number };
    expect(report.anomalies.map((a) => [a.timestamp, a.row])).toEqual([['2024-05-01 01:40:30', 102]]);
    expect(report.scores).toHaveLength(120);
    expect(report.scores.slice(0, report.warmupRows).every((r) => r.score === 0)).toBe(true);
    expect(report.scores.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
  });

  it('prints a CSV of per-row scores with --scores', async () => {
    const result = await runCli(['monitor', 'detect', SERIES, '--scores']);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,score,anomaly');
    expect(lines).toHaveLength(121);
    expect(lines[101]).toMatch(/^2024-05-01 01:40:30,90,0\.9\d+,1$/);
  });

  it.each([
    ['no value column', 'timestamp,latency\n2024-05-01 00:00:00,3\n', /no-value\.csv: the header \(line 1\) has no value column; the first line must name the columns/],
    ['a value that is not a number', 'timestamp,value\n2024-05-01 00:00:00,3\n2024-05-01 00:01:00,n/a\n', /not-number\.csv, line 3: value "n\/a" is not a number/],
    ['timestamps out of order', 'timestamp,value\n2024-05-01 00:02:00,3\n2024-05-01 00:01:00,4\n', /unsorted\.csv, line 3: timestamp 2024-05-01 00:01:00 is not after the row before \(2024-05-01 00:02:00\); sort the file by timestamp/],
    ['a timestamp that is not a date', 'timestamp,value\nyesterday,3\n', /bad-date\.csv, line 2: timestamp "yesterday" is not a date/],
  ])('refuses a file with %s, naming the file, the line and the fix', async (_what, text, message) => {
    const names: Record<string, string> = { 'no value column': 'no-value.csv', 'a value that is not a number': 'not-number.csv', 'timestamps out of order': 'unsorted.csv', 'a timestamp that is not a date': 'bad-date.csv' };
    const result = await runCli(['monitor', 'detect', write(names[_what]!, text)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('refuses a file that does not exist', async () => {
    const result = await runCli(['monitor', 'detect', join(dir, 'missing.csv')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read .*missing\.csv: ENOENT/);
  });
});

describe('llm-lab monitor detect options', () => {
  it('stays quiet under --min-volume and refuses a threshold outside (0, 1]', async () => {
    const quiet = await runCli(['monitor', 'detect', SERIES, '--min-volume', '1000']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^0 anomalies in 120 rows/);
    const bad = await runCli(['monitor', 'detect', SERIES, '--threshold', '2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threshold must be a number above 0 and at most 1.');
  });
});

describe('llm-lab monitor detect with a daily season', () => {
  // Twelve days of 15-minute points: 20 at night, 200 from 13:00 to 18:00, a little noise; on the
  // tenth day (2024-05-10) the afternoon peak never comes.
  const lines = ['timestamp,value'];
  for (let i = 0; i < 12 * 96; i++) {
    const time = new Date(Date.UTC(2024, 4, 1) + i * 15 * 60_000);
    const hour = time.getUTCHours();
    const peak = hour >= 13 && hour < 18 && time.getUTCDate() !== 10;
    lines.push(`${time.toISOString().slice(0, 19).replace('T', ' ')},${(peak ? 200 : 20) + ((i * 7919) % 11) - 5}`);
  }
  const daily = () => write('daily.csv', `${lines.join('\n')}\n`);

  it('learns the day from the timestamps and reports the afternoon that never came', async () => {
    const result = await runCli(['monitor', 'detect', daily(), '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { seasonRows: number; anomalies: { timestamp: string }[] };
    expect(report.seasonRows).toBe(96);
    // Once two past days are known (the seasonal baseline needs two), only the missing afternoon pages.
    expect(report.anomalies.map((a) => a.timestamp.slice(0, 10)).filter((day) => day >= '2024-05-03')).toEqual(['2024-05-10']);
  });

  it('turns the season off with --period 0, and refuses a period that is not a whole number of rows', async () => {
    const off = await runCli(['monitor', 'detect', daily(), '--period', '0', '--json']);
    expect(off.code).toBe(0);
    const report = JSON.parse(off.stdout) as { seasonRows: number; anomalies: { timestamp: string }[] };
    expect(report.seasonRows).toBe(0);
    expect(report.anomalies.map((a) => a.timestamp.slice(0, 10))).not.toContain('2024-05-10');
    const bad = await runCli(['monitor', 'detect', daily(), '--period', '1.5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--period must be a whole number of rows per season');
  });
});
