/**
 * PII spans and entity types. Type names are Presidio's (microsoft/presidio), so spans from the
 * rule detectors and from a Presidio analyzer can be mixed, masked and scored alike.
 */

/** The entity types the rule detectors find. Presidio's analyzer may return others; every string is accepted. */
export const PII_ENTITY_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'IP_ADDRESS',
  'URL',
  'PERSON',
  'LOCATION',
  'STREET_ADDRESS',
  'ORGANIZATION',
  'DATE_TIME',
] as const;

export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

/** The types found by checksums or strict formats, measured at F1 ≥ 0.95 (see docs/security.md). */
export const PATTERN_ENTITY_TYPES: readonly PiiEntityType[] = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS'];

/** The types found by weak rules (capitalisation, cue words, a country list): expect misses and false hits. */
export const WEAK_ENTITY_TYPES: readonly PiiEntityType[] = ['PERSON', 'LOCATION', 'STREET_ADDRESS', 'ORGANIZATION', 'DATE_TIME'];

/** One piece of PII in a text: `text.slice(start, end)` (UTF-16 offsets, `end` exclusive). */
export interface PiiSpan {
  /** A Presidio entity type name, e.g. `EMAIL_ADDRESS`. */
  type: string;
  start: number;
  end: number;
  /** Confidence in [0, 1]: 1 for a checksum, lower for cue-word rules. */
  score: number;
}

/** Something that finds PII spans in a text. */
export interface PiiDetector {
  readonly name: string;
  detect(text: string): PiiSpan[] | Promise<PiiSpan[]>;
}
