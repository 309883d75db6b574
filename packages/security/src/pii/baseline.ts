import type { PiiDetector, PiiSpan } from './types.js';

/**
 * The regex-only baseline the measured detectors are compared with: one plain regular expression
 * per type, as a first attempt would write it, with no checksum, no parser and no context.
 */
const BASELINE: Array<[string, RegExp]> = [
  ['EMAIL_ADDRESS', /\S+@\S+\.\w+/g],
  ['CREDIT_CARD', /\b\d{13,16}\b/g],
  ['IBAN_CODE', /\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b/g],
  ['US_SSN', /\b\d{3}-\d{2}-\d{4}\b/g],
  ['IP_ADDRESS', /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g],
  ['PHONE_NUMBER', /\(?\b\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}\b/g],
];

/** The regex-only baseline (see the table in docs/security.md). */
export function regexBaselineDetector(): PiiDetector {
  return {
    name: 'regex baseline',
    detect(text) {
      const spans: PiiSpan[] = [];
      for (const [type, pattern] of BASELINE) {
        pattern.lastIndex = 0;
        for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
          spans.push({ type, start: match.index, end: match.index + match[0].length, score: 1 });
        }
      }
      return spans;
    },
  };
}
