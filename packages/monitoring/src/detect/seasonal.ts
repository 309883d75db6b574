import { RollingWindow } from './rolling.js';

const MAD_TO_SIGMA = 1.4826;

/**
 * A seasonal baseline for one series, learned online: the value expected at a row is the median
 * of the values one, two, … `seasons` periods earlier (each with its two neighbours, so a pattern
 * that drifts by a row still lines up). What the detector judges is then the seasonal residual
 * (value − expected), whose scale is its own rolling MAD. The baseline is used only while it
 * explains the series: while the residuals' scale is well under the plain rolling scale, i.e. the
 * series really repeats with this period.
 */
export class SeasonalBaseline {
  private readonly history: Float64Array;
  private rows = 0;
  private readonly residuals: RollingWindow;
  private scale = Number.NaN;
  private scaleAge = 0;
  private readonly neighbours: number[] = [];

  constructor(
    readonly period: number,
    readonly seasons: number,
    window: number,
  ) {
    this.history = new Float64Array(period * seasons + 2);
    this.residuals = new RollingWindow(window);
  }

  /** The expected value at the next row, or NaN before two periods are known. */
  expected(): number {
    const { period, seasons, history } = this;
    const size = history.length;
    const values = this.neighbours;
    values.length = 0;
    for (let k = 1; k <= seasons; k++) {
      const back = k * period;
      if (back + 1 > this.rows) break;
      for (let j = -1; j <= 1; j++) {
        const lag = back - j;
        if (lag < 1 || lag > this.rows || lag > size) continue;
        values.push(history[(this.rows - lag) % size]!);
      }
    }
    if (values.length < 6) return Number.NaN;
    values.sort((a, b) => a - b);
    const n = values.length;
    return n % 2 ? values[(n - 1) / 2]! : (values[n / 2 - 1]! + values[n / 2]!) / 2;
  }

  /** The residuals' centre and robust scale (NaN until 30 residuals are known). */
  residualScale(): { center: number; scale: number } {
    if (this.residuals.length < 30) return { center: Number.NaN, scale: Number.NaN };
    const center = this.residuals.median();
    if (this.scaleAge-- <= 0 || Number.isNaN(this.scale)) {
      this.scale = this.residuals.mad(center) * MAD_TO_SIGMA;
      this.scaleAge = 10;
    }
    return { center, scale: this.scale };
  }

  /** Learns a value (after it has been scored), with the expected value it was scored against. */
  push(value: number, expected: number): void {
    if (!Number.isNaN(expected)) this.residuals.push(value - expected);
    this.history[this.rows % this.history.length] = value;
    this.rows++;
  }
}

/**
 * Rows in one season of a series from its timestamps: `seasonSeconds` (a day by default) over the
 * median step between rows. 0 when the timestamps cannot be read, or when fewer than three
 * seasons fit in the series (too short to learn a pattern from).
 */
export function periodFromTimestamps(timestamps: readonly string[], seasonSeconds = 86_400): number {
  const times: number[] = [];
  for (const t of timestamps.slice(0, 101)) {
    const ms = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(t) ? `${t.replace(' ', 'T')}Z` : t);
    if (Number.isNaN(ms)) return 0;
    times.push(ms);
  }
  const steps = times.slice(1).map((ms, i) => ms - times[i]!).filter((step) => step > 0).sort((a, b) => a - b);
  if (steps.length === 0) return 0;
  const period = Math.round((seasonSeconds * 1000) / steps[steps.length >> 1]!);
  return period >= 2 && period * 3 <= timestamps.length ? period : 0;
}
