import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { detectSeries, periodFromTimestamps } from '../src/detect/index.js';
import { loadCorpus, NAB_PROFILES, normaliseScore, nullAndPerfect, probationaryLength, scoreFile } from '../src/nab/index.js';

// The detector's standard-profile NAB score against published detectors on the same files
// (`pnpm bench:anomaly` prints the whole table). A guard against a change that makes it worse.
const NAB = resolve(import.meta.dirname, '../../../../shared/datasets/nab');
const present = existsSync(join(NAB, 'published_scores'));
if (!present) console.warn(`Skipping the NAB detector score test: ${NAB} is absent (the shared datasets are not on this machine).`);

(present ? describe : describe.skip)("the detector's NAB score", () => {
  it('beats the published earthgeckoSkyline and twitterADVec scores on the same files (standard profile)', () => {
    const corpus = loadCorpus(NAB);
    const profile = NAB_PROFILES.standard;
    const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
    const bounds = nullAndPerfect(windows, profile);
    let raw = 0;
    for (const file of corpus) {
      const scores = detectSeries(file.values, { period: periodFromTimestamps(file.timestamps), warmup: probationaryLength(file.values.length) });
      raw += scoreFile(scores, file.windows, 0.5, profile).score;
    }
    const ours = normaliseScore(raw, bounds.null, bounds.perfect);
    const published = (detector: string) => {
      const names = new Set(corpus.map((f) => f.name));
      const rows = readFileSync(join(NAB, 'published_scores', `${detector}_standard_scores.csv`), 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
      return normaliseScore(rows.filter((r) => names.has(r[2]!)).reduce((sum, r) => sum + Number(r[4]), 0), bounds.null, bounds.perfect);
    };
    expect(ours).toBeGreaterThan(published('earthgeckoSkyline') + 5);
    expect(ours).toBeGreaterThan(published('twitterADVec') + 5);
    expect(ours).toBeGreaterThan(60);
  });
});
