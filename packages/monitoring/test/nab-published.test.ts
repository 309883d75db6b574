import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadCorpus, NAB_PROFILES, type ProfileName, scoreFile } from '../src/nab/index.js';

const NAB = resolve(import.meta.dirname, '../../../../shared/datasets/nab');
const present = existsSync(join(NAB, 'published_scores'));
if (!present) console.warn(`Skipping the NAB reproduction test: ${NAB} is absent (the shared datasets are not on this machine).`);

const readCsv = (path: string) => {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const names = head!.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i]!, v])));
};

(present ? describe : describe.skip)('the scorer against NAB published windowedGaussian scores', () => {
  const corpus = present ? loadCorpus(NAB) : [];
  const thresholds = present ? (JSON.parse(readFileSync(join(NAB, 'published_thresholds.json'), 'utf8')) as Record<string, Record<string, { threshold: number }>>) : {};

  it.each(Object.keys(NAB_PROFILES) as ProfileName[])('reproduces every per-file %s score to 1e-6', (profile) => {
    // The last row is NAB's corpus total, not a file.
    const published = readCsv(join(NAB, 'published_scores', `windowedGaussian_${profile}_scores.csv`)).filter((row) => row.File?.endsWith('.csv'));
    const threshold = thresholds.windowedGaussian![profile]!.threshold;
    expect(published).toHaveLength(corpus.length);
    let nonTrivial = 0;
    for (const row of published) {
      const file = corpus.find((f) => f.name === row.File)!;
      const [category, name] = file.name.split('/');
      const detector = readCsv(join(NAB, 'windowedGaussian', category!, `windowedGaussian_${name}`));
      expect(detector.map((r) => r.timestamp)).toEqual(file.timestamps);
      const scores = detector.map((r) => Number(r.anomaly_score));
      const result = scoreFile(scores, file.windows, threshold, NAB_PROFILES[profile]);
      expect({ file: file.name, score: result.score }).toEqual({ file: file.name, score: expect.closeTo(Number(row.Score), 6) });
      expect([result.tp, result.fp, result.fn, result.tn]).toEqual([Number(row.TP), Number(row.FP), Number(row.FN), Number(row.TN)]);
      if (Number(row.Score) !== 0 && Number(row.Score) !== -file.windows.length * NAB_PROFILES[profile].fnWeight) nonTrivial++;
    }
    // The comparison must include files where detections were weighted, not only misses.
    expect(nonTrivial).toBeGreaterThan(5);
  });
});
