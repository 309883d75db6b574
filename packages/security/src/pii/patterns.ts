import { isIPv4, isIPv6 } from 'node:net';
import { isCardNumber, isIban, isUsSsn } from './checksums.js';
import type { PiiSpan } from './types.js';

/**
 * The detectors of strict formats: each finds candidates with a regular expression and keeps
 * those that pass a checksum or a parser (Luhn, mod-97, SSA rules, node:net).
 */

function* matches(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (let match = global.exec(text); match !== null; match = global.exec(text)) {
    if (match[0].length === 0) global.lastIndex++;
    else yield match;
  }
}

/** The words within `before` characters before `start` (lower case), for cue-word checks. */
export function contextBefore(text: string, start: number, before = 40): string {
  return text.slice(Math.max(0, start - before), start).toLowerCase();
}

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/;

/** E-mail addresses (RFC 5322's common form: no quoted local parts, no IP-literal domains). */
export function detectEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(EMAIL, text)) {
    if (match[0].includes('..')) continue;
    spans.push({ type: 'EMAIL_ADDRESS', start: match.index, end: match.index + match[0].length, score: 1 });
  }
  return spans;
}

// Digits in card groupings: unbroken, 4-4-4-4(-3), or Amex/Diners 4-6-4(5), with one kind of separator;
// never after a + (an international phone number).
const CARD = /(?<![\w+-])\d{4}(?:([ -]?)\d{4}\1\d{4}\1\d{1,7}|([ -]?)\d{6}\2\d{4,5}|\d{8,15})(?![\w-]|[.,]\d)/;

/** Payment card numbers: 12–19 digits in card groupings that pass Luhn. */
export function detectCreditCards(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(CARD, text)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (!isCardNumber(digits)) continue;
    spans.push({ type: 'CREDIT_CARD', start: match.index, end: match.index + match[0].length, score: 1 });
  }
  return spans;
}

// Country code, check digits, then the BBAN: unbroken, or in groups of four separated by spaces.
const IBAN = /(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![\w])/i;

/** IBANs: the country's length and BBAN format, and the mod-97 check digits. */
export function detectIbans(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(IBAN, text)) {
    let value = match[0];
    // A trailing group may belong to the next word ("... 1234 5678 and"): shorten until valid.
    while (value.length >= 15 && !isIban(value)) {
      const cut = value.lastIndexOf(' ');
      if (cut < 0) break;
      value = value.slice(0, cut);
    }
    if (!isIban(value)) continue;
    spans.push({ type: 'IBAN_CODE', start: match.index, end: match.index + value.length, score: 1 });
  }
  return spans;
}

const SSN = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])/;
const SSN_CUES = /\b(?:ssn|social security|soc\.? sec|taxpayer|tin)\b/;

/**
 * US Social Security numbers: `ddd-dd-dddd` (or with spaces) that the SSA could have issued;
 * nine digits in a row only after a cue word ("SSN", "social security").
 */
export function detectUsSsns(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(SSN, text)) {
    const [, area, separator, group, serial] = match as unknown as [string, string, string, string, string];
    if (!isUsSsn(area, group, serial)) continue;
    if (separator === '' && !SSN_CUES.test(contextBefore(text, match.index))) continue;
    spans.push({ type: 'US_SSN', start: match.index, end: match.index + match[0].length, score: separator === '' ? 0.6 : 0.85 });
  }
  return spans;
}

const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)/;

/** IPv4 and IPv6 addresses, as node:net parses them. */
export function detectIpAddresses(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(IPV4, text)) {
    if (isIPv4(match[0])) spans.push({ type: 'IP_ADDRESS', start: match.index, end: match.index + match[0].length, score: 0.95 });
  }
  for (const match of matches(IPV6, text)) {
    const value = match[0];
    // "::" alone, or a clock time like 10:30:00, is not an address worth masking.
    if (value.length < 6 || !isIPv6(value) || /^\d{1,2}(?::\d{2}){1,2}$/.test(value)) continue;
    spans.push({ type: 'IP_ADDRESS', start: match.index, end: match.index + value.length, score: 0.95 });
  }
  return spans;
}

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/i;

/** URLs (http, https, www.); trailing punctuation of the sentence is left out. */
export function detectUrls(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of matches(URL_PATTERN, text)) {
    const value = match[0].replace(/[.,;:!?)\]]+$/, '');
    if (!/[A-Za-z0-9-]\.[A-Za-z]{2,}/.test(value)) continue;
    spans.push({ type: 'URL', start: match.index, end: match.index + value.length, score: 0.6 });
  }
  return spans;
}
