import { detectCreditCards, detectEmails, detectIbans, detectIpAddresses, detectUrls, detectUsSsns } from './patterns.js';
import { detectPhoneNumbers, type PhoneOptions } from './phone.js';
import type { PiiDetector, PiiSpan } from './types.js';
import { detectDates, detectLocations, detectOrganizations, detectPersons, detectStreetAddresses } from './weak-rules.js';

const RULES: Record<string, (text: string, options: RuleOptions) => PiiSpan[]> = {
  EMAIL_ADDRESS: detectEmails,
  CREDIT_CARD: detectCreditCards,
  IBAN_CODE: detectIbans,
  US_SSN: detectUsSsns,
  IP_ADDRESS: detectIpAddresses,
  URL: detectUrls,
  PHONE_NUMBER: (text, options) => detectPhoneNumbers(text, options),
  PERSON: detectPersons,
  LOCATION: detectLocations,
  STREET_ADDRESS: detectStreetAddresses,
  ORGANIZATION: detectOrganizations,
  DATE_TIME: detectDates,
};

export type RuleOptions = PhoneOptions;

export interface DetectOptions extends RuleOptions {
  /** Only these entity types (default every type the rules know). */
  entities?: readonly string[];
  /** Spans scoring below this are dropped. Default 0. */
  minScore?: number;
}

/**
 * Keeps the best of overlapping spans: higher score first, then the longer; the result is in
 * text order. Two detectors claiming the same digits (a card number and a phone number) leave one.
 */
export function resolveOverlaps(spans: readonly PiiSpan[]): PiiSpan[] {
  const ranked = [...spans].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: PiiSpan[] = [];
  for (const span of ranked) {
    if (kept.some((other) => span.start < other.end && other.start < span.end)) continue;
    kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Throws a clear error for an entity type no rule detects. */
export function checkEntityTypes(entities: readonly string[], known: readonly string[] = Object.keys(RULES)): void {
  for (const entity of entities) {
    if (!known.includes(entity)) {
      throw new Error(`unknown PII entity type ${JSON.stringify(entity)}; use one of ${known.join(', ')} (Presidio's names)`);
    }
  }
}

/** The entity types the rule detectors find. */
export function ruleEntityTypes(): string[] {
  return Object.keys(RULES);
}

/** Finds PII in `text` with the rule detectors; spans do not overlap and are in text order. */
export function detectPii(text: string, options: DetectOptions = {}): PiiSpan[] {
  const entities = options.entities ?? Object.keys(RULES);
  checkEntityTypes(entities);
  const found: PiiSpan[] = [];
  for (const entity of entities) found.push(...(RULES[entity] as (typeof RULES)[string])(text, options));
  const minScore = options.minScore ?? 0;
  return resolveOverlaps(found.filter((span) => span.score >= minScore));
}

/** The rule detectors as a {@link PiiDetector}. */
export function ruleDetector(options: DetectOptions = {}): PiiDetector {
  if (options.entities) checkEntityTypes(options.entities);
  return { name: 'rules', detect: (text) => detectPii(text, options) };
}
