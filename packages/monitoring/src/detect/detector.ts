import { RollingWindow } from './rolling.js';
import { SeasonalBaseline } from './seasonal.js';

export interface DetectorOptions {
  /** Rows in the rolling window the baseline (median, MAD) is taken over. */
  window?: number;
  /** Smoothing of the short EWMA that catches a level shift a few rows long (0 < alpha ≤ 1). */
  alpha?: number;
  /** Robust z-score at which a single point reaches score 0.5. */
  pointZ?: number;
  /** CUSUM drift (in robust standard deviations) and the sum at which it reaches score 0.5. */
  cusumDrift?: number;
  cusumLimit?: number;
  /** Weight of the novelty signal: how far a value lies outside every value seen so far, as a multiple of `novelty` times the range seen (0 turns it off). */
  novelty?: number;
  /** Score at or above which a row is reported as an anomaly. */
  threshold?: number;
  /** Rows after a reported anomaly during which no other is reported (one incident, one report). */
  cooldown?: number;
  /** Rows scored 0 at the start, while the baseline learns (NAB's probationary period). */
  warmup?: number;
  /** Rows whose baseline median is below this are scored 0: a quiet night pages nobody. */
  minVolume?: number;
  /**
   * Rows in one season (a day of 1-minute points: 1,440); 0 turns the seasonal baseline off.
   * `periodFromTimestamps` works it out from a series' timestamps.
   */
  period?: number;
  /** Past seasons the seasonal baseline takes its median over. */
  seasons?: number;
  /** The seasonal baseline replaces the plain one while its residuals' scale is under this fraction of the plain scale. */
  seasonalGain?: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Required<DetectorOptions> = {
  // Tuned with `pnpm bench:anomaly -- --tune` on NAB's files outside the held-out quarter
  // (docs/performance.md). The point and EWMA z-scores lowered the NAB score at every setting
  // tried (16 to 1,000 robust standard deviations), so they are off unless `pointZ` is set.
  window: 400,
  alpha: 0.25,
  pointZ: Number.POSITIVE_INFINITY,
  cusumDrift: 1,
  cusumLimit: 40,
  novelty: 0.05,
  threshold: 0.5,
  cooldown: 300,
  warmup: 0,
  minVolume: Number.NEGATIVE_INFINITY,
  // Chosen before looking at the held-out files (docs/performance.md): four past days, used
  // while they explain at least half of the series' spread.
  period: 0,
  seasons: 4,
  seasonalGain: 0.5,
};

const MAD_TO_SIGMA = 1.4826;

/**
 * An online anomaly detector for one series: each value is scored from the values before it
 * only, then joins the baseline. The residual is the value's distance from the rolling median, or,
 * when `period` is set and the series repeats with it, from the median of the same moment of past
 * seasons ({@link SeasonalBaseline}); both as multiples of a robust scale (a rolling MAD). Signals:
 * a two-sided CUSUM of the clipped residuals (a slow drift, a step, a missing daily peak), novelty
 * (a value outside every value seen), a flat series leaving its value, and optionally the point's
 * and a short EWMA's z-scores (`pointZ`). The largest, r, becomes the score r / (1 + r) in [0, 1).
 */
export class OnlineDetector {
  readonly options: Required<DetectorOptions>;
  private readonly baseline: RollingWindow;
  private ewma = Number.NaN;
  private cusumUp = 0;
  private cusumDown = 0;
  private rows = 0;
  private quietUntil = -1;
  private scale = Number.NaN;
  private scaleAge = 0;
  private flat = false;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private readonly seasonal: SeasonalBaseline | undefined;

  constructor(options: DetectorOptions = {}) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.baseline = new RollingWindow(this.options.window);
    const { period, seasons, window } = this.options;
    if (period >= 2) this.seasonal = new SeasonalBaseline(Math.round(period), Math.max(1, Math.round(seasons)), window);
  }

  /** Scores `value` against the rows before it, then learns from it. */
  update(value: number): number {
    const o = this.options;
    const row = this.rows++;
    let score = 0;
    const expected = this.seasonal?.expected() ?? Number.NaN;
    if (this.baseline.length >= Math.min(30, o.window)) {
      const median = this.baseline.median();
      const scale = this.robustScale(median);
      let residual = (value - median) / scale;
      if (this.seasonal && !Number.isNaN(expected)) {
        // While the series repeats with the period, judge the value against the same moment of
        // past seasons: a daily peak is no anomaly, a missing one is.
        const seasonal = this.seasonal.residualScale();
        if (seasonal.scale < o.seasonalGain * scale) residual = (value - expected - seasonal.center) / Math.max(seasonal.scale, scale * 0.05, 1e-9);
      }
      const ewmaResidual = (o.alpha * value + (1 - o.alpha) * this.ewma - median) / scale;
      const clipped = Math.max(-4, Math.min(4, residual));
      this.cusumUp = Math.max(0, this.cusumUp + clipped - o.cusumDrift);
      this.cusumDown = Math.max(0, this.cusumDown - clipped - o.cusumDrift);
      let novelty = 0;
      if (o.novelty > 0 && this.max > this.min) novelty = Math.max(value - this.max, this.min - value, 0) / (o.novelty * (this.max - this.min));
      // A series that held one value over the whole window and leaves it (a stuck gauge, a dead
      // feed coming back) is a change whatever its size.
      const leftFlat = this.flat && value !== median ? 2 : 0;
      const ratio = Math.max(leftFlat, novelty, Math.abs(residual) / o.pointZ, (Math.abs(ewmaResidual) * 2) / o.pointZ, Math.max(this.cusumUp, this.cusumDown) / o.cusumLimit);
      score = ratio / (1 + ratio);
      if (row < o.warmup || median < o.minVolume) score = 0;
      if (score >= o.threshold) {
        if (row <= this.quietUntil) score = Math.min(score, o.threshold * 0.999);
        else this.quietUntil = row + o.cooldown;
        this.cusumUp = 0;
        this.cusumDown = 0;
      }
    }
    this.ewma = Number.isNaN(this.ewma) ? value : o.alpha * value + (1 - o.alpha) * this.ewma;
    this.baseline.push(value);
    this.seasonal?.push(value, expected);
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    return score;
  }

  /** The rolling MAD as a standard deviation, with a floor so a flat series does not divide by zero. */
  private robustScale(median: number): number {
    if (this.scaleAge-- <= 0 || Number.isNaN(this.scale)) {
      const mad = this.baseline.mad(median) * MAD_TO_SIGMA;
      const spread = (this.baseline.quantile(0.95) - this.baseline.quantile(0.05)) / 3.29;
      this.flat = mad === 0 && spread === 0;
      this.scale = Math.max(mad, spread * 0.5, Math.abs(median) * 1e-3, 1e-9);
      this.scaleAge = 10;
    }
    return this.scale;
  }
}

/** Runs a fresh detector over a whole series and returns its per-row scores. */
export function detectSeries(values: ArrayLike<number>, options: DetectorOptions = {}): Float64Array {
  const detector = new OnlineDetector(options);
  const scores = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) scores[i] = detector.update(values[i]!);
  return scores;
}
