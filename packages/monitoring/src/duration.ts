const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;

/**
 * `90s`, `30m`, `24h`, `7d`, `2w` (or a number of milliseconds) as milliseconds; anything else is
 * refused naming `what` and the forms accepted.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else {
    const match = DURATION.exec(value.trim());
    if (match) return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  throw new Error(`${what} ${JSON.stringify(value)} is not a duration: give a number and a unit, e.g. 30s, 90m, 24h, 7d or 2w (ms, s, m, h, d, w).`);
}
