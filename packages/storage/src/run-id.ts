import { randomInt } from 'node:crypto';

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A readable run id that sorts by start time: `run-<YYYYMMDD>-<HHMMSS>-<4 random base36>`, in UTC
 * so that ids from a team sharing one database sort the same way for everyone.
 */
export function generateRunId(now: Date = new Date()): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  let suffix = '';
  for (let index = 0; index < 4; index += 1) suffix += BASE36[randomInt(36)];
  return `run-${date}-${time}-${suffix}`;
}
