import { isPossiblePhoneNumber, isValidPhoneNumber, type CountryCode } from 'libphonenumber-js/core';
// The metadata as a JS module: the package's default entry imports it as JSON, which Node's ESM
// loaders (and jest's) warn about.
import metadata from 'libphonenumber-js/min/metadata';
import type { PiiSpan } from './types.js';

/**
 * Phone numbers. Written numbers come in too many national shapes ("358 0594", "28-64-66-98",
 * "+41 (0)38 549 02 90") for a format alone to tell them from other numbers, so a candidate (digit
 * groups with phone punctuation) is kept when one of these holds:
 * - a cue word stands before it (phone, call, mobile, fax, ...) or right after it ("office", "fax");
 * - it is international (+ or 00) and libphonenumber-js finds it a possible number;
 * - it has the North American shape (ddd-ddd-dddd, (ddd) ddd-dddd), or libphonenumber-js finds
 *   it a valid number of the default region.
 * Dates, times and runs of digits without punctuation are left out.
 */

// Optional +cc / 00cc, an optional area code in parentheses (or a (0) trunk prefix), then 1–6
// groups of digits (the first up to 12, unbroken international numbers; the others up to 8) separated by one space, dot or hyphen, then an optional extension.
const CANDIDATE =
  /(?<![\w+./-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?|\(0\)\s?)?\d{1,12}(?:[ .-]\d{1,8}){0,5}(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?(?![\w:/]|[.,-]?\d)/gi;

// A label ("Phone:", "Fax -"), or a verb of calling followed by at most two short words
// ("call me on", "reach us at", "phone number is"), right before the number.
const CUE_BEFORE =
  /(?:\b(?:phone|tel(?:ephone)?|mobile|cell|fax|desk|office|ph|mob|home|work)\s*[:\-–]\s*|\b(?:phone|call(?:ed|ing)?|calls|reach(?:ed)?|dial|text|sms|whatsapp|messages?|answering|contact)\b(?:[ ]\p{L}{1,6}){0,2}[ ]?[:\-–]?\s*)$/iu;
const CUE_AFTER = /^[\s\-–(,]{0,3}(?:office|fax|mobile|cell|home|work|phone|tel|direct)\b/i;
const NANP = /^(?:(?:\+?1|001)[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,6})?$/i;
const DATE_SHAPE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

export interface PhoneOptions {
  /** The region national numbers are read in (ISO 3166 alpha-2). Default `US`. */
  defaultRegion?: string;
}

/** Phone numbers in `text` (see the module comment for what counts). */
export function detectPhoneNumbers(text: string, options: PhoneOptions = {}): PiiSpan[] {
  const region = (options.defaultRegion ?? 'US') as CountryCode;
  const spans: PiiSpan[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    const value = match[0];
    const start = match.index;
    const main = value.replace(/\s?(?:x|ext\.?|#)\s?\d{1,6}$/i, '');
    const digits = main.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    if (DATE_SHAPE.test(main)) continue;
    const punctuated = /[ .()-]/.test(main);
    const international = /^(?:\+|00)/.test(main);
    const cued = CUE_BEFORE.test(text.slice(Math.max(0, start - 32), start)) || CUE_AFTER.test(text.slice(start + value.length, start + value.length + 14));
    let score = 0;
    if (cued && (punctuated || international)) score = 0.75;
    else if (international && isPossiblePhoneNumber(main.replace(/^00/, '+').replace(/\(0\)/, ''), metadata)) score = 0.7;
    else if (NANP.test(value)) score = 0.6;
    else if (punctuated && isValidPhoneNumber(main, region, metadata)) score = 0.5;
    else if (cued) score = 0.4;
    if (score === 0) continue;
    spans.push({ type: 'PHONE_NUMBER', start, end: start + value.length, score });
  }
  return spans;
}
