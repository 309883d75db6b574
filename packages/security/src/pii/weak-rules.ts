import type { PiiSpan } from './types.js';

/**
 * Rules for names, places, organisations, street addresses and dates. These are WEAK: no rule
 * tells "Jackson" the person from "Jackson" the city, and most names carry no cue. They catch the
 * shapes that announce themselves (a cue word, a title, a company suffix, a country name, a
 * numbered street with a street word, an ISO date) and nothing else. For real recall on these
 * types run a Presidio analyzer (NER) and set `presidio:` (see docs/security.md).
 */

const WORD = String.raw`\p{Lu}[\p{L}'’-]*`;
const INITIAL = String.raw`\p{Lu}\.?`;
const NAME = String.raw`${WORD}(?:[ ](?:${WORD}|${INITIAL}))*?(?:[ ]${WORD})?`;

function spansOf(pattern: RegExp, text: string, type: string, score: number, group = 0): PiiSpan[] {
  const spans: PiiSpan[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const value = match[group];
    if (value === undefined || value.length === 0) {
      if (match[0].length === 0) pattern.lastIndex++;
      continue;
    }
    const start = match.index + match[0].indexOf(value);
    spans.push({ type, start, end: start + value.length, score });
  }
  return spans;
}

// Labels of forms and headers that look like "Speaker:" lines but are not names.
const LABELS = new Set(
  'name address phone mobile desk fax date time when where email e-mail subject from to re note tel cc bcc office home work title company url website ssn iban card'.split(' '),
);

const PERSON_CUED = new RegExp(
  String.raw`(?:\b(?:my name is|name is|i am|i'm|call me|calls me|this is|dear|sincerely,?\s*|regards,?\s*|signed)\s+|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.?\s+|^Name:\s*)(${NAME})`,
  'gmu',
);
const PERSON_LOWER = /\bmy name is ((?:\p{Ll}[\p{L}'’-]+)(?: \p{Ll}[\p{L}'’-]+)?)/gu;
const SPEAKER = new RegExp(String.raw`^(${WORD}(?: ${WORD})?):\s`, 'gmu');

/** Persons: after a cue ("my name is", "Dear", a title such as Mrs.), and dialogue speakers ("Anna: ..."). */
export function detectPersons(text: string): PiiSpan[] {
  const speakers = spansOf(SPEAKER, text, 'PERSON', 0.4, 1).filter((span) => !LABELS.has(text.slice(span.start, span.end).toLowerCase()));
  return [...spansOf(PERSON_CUED, text, 'PERSON', 0.6, 1), ...spansOf(PERSON_LOWER, text, 'PERSON', 0.4, 1), ...speakers];
}

const ORG_SUFFIX =
  'Inc|Incorporated|Ltd|Limited|LLC|LLP|Corp|Corporation|Company|Co|GmbH|AG|SA|S\\.A|NV|BV|plc|PLC|Group|Holdings|Partners|Consulting|Bank|University|Foundation|Institute|Associates|Technologies|Systems|Solutions|Lines|Labs?|Capital|Insurance|Airlines';
const ORGANIZATION = new RegExp(String.raw`\b((?:${WORD}|&|and|of)(?: (?:${WORD}|&|and|of)){0,4} (?:${ORG_SUFFIX})\b\.?)`, 'gu');
const ORG_CUED = new RegExp(String.raw`\b(?:works? (?:at|for)|employed by|joined|company|employer)\s+(${WORD}(?: ${WORD}){0,3})`, 'gu');

/** Organisations: capitalised words ending in a company word (Inc., GmbH, Bank, ...) or after "works at". */
export function detectOrganizations(text: string): PiiSpan[] {
  return [...spansOf(ORGANIZATION, text, 'ORGANIZATION', 0.5, 1), ...spansOf(ORG_CUED, text, 'ORGANIZATION', 0.4, 1)];
}

let countryPattern: RegExp | undefined;

/** Country names in English, from the platform's ICU data (Intl.DisplayNames), longest first. */
function countries(): RegExp {
  if (countryPattern) return countryPattern;
  const display = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const names = new Set<string>();
  for (let first = 65; first <= 90; first++) {
    for (let second = 65; second <= 90; second++) {
      const name = display.of(String.fromCharCode(first, second));
      if (name && /^[\p{L} .'-]+$/u.test(name) && name.length > 3) names.add(name);
    }
  }
  const escaped = [...names].sort((a, b) => b.length - a.length).map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  countryPattern = new RegExp(`\\b(${escaped.join('|')})\\b`, 'giu');
  return countryPattern;
}

const PLACE_CUED = new RegExp(String.raw`\b(?:(?:i am|i'm|we are|live|lives|living|based|born|located|stay(?:ing)?) in|from|city of|town of|university of|moved to|coming to|flew to|travel(?:l?ing)? to|visit(?:ing)?)\s+(${WORD}(?: ${WORD}){0,2})`, 'giu');

/** Places: English country names, and capitalised words after "I'm in", "from", "moved to", ... */
export function detectLocations(text: string): PiiSpan[] {
  const cued = spansOf(PLACE_CUED, text, 'LOCATION', 0.4, 1).filter((span) => /^\p{Lu}/u.test(text.slice(span.start, span.end)));
  const pattern = countries();
  return [...spansOf(pattern, text, 'LOCATION', 0.7, 1).filter((span) => /^\p{Lu}/u.test(text.slice(span.start, span.end))), ...cued];
}

const STREET_WORD =
  'Street|St\\.?|Avenue|Ave\\.?|Road|Rd\\.?|Lane|Ln\\.?|Drive|Dr\\.?|Boulevard|Blvd\\.?|Court|Ct\\.?|Way|Place|Pl\\.?|Square|Sq\\.?|Terrace|Parkway|Pkwy\\.?|Highway|Hwy\\.?|Circle|Trail|Crescent|Close|Row|Alley|Plaza';
const STREET = new RegExp(
  String.raw`\b(\d{1,6}[A-Za-z]?,? (?:${WORD} ){1,4}(?:${STREET_WORD})(?!\w)(?:,? (?:Apt\.?|Suite|Unit|Flat) \w+)?)`,
  'gu',
);
const STREET_EUROPE = /\b(\p{Lu}[\p{L}-]*(?:straße|strasse|gasse|weg|vej|vägen|gatan|gata|katu|tie|laan|straat|plein|gade|veien|utca|ulica)\.? \d{1,5}[a-z]?)\b/gu;
const BOXES = /\b((?:P\.? ?O\.? Box|Apt\.?|Suite|Unit|PSC) \d{1,6}(?:,? Box \d{1,6})?)/giu;

/** Street addresses: "12 High Street", "Mellemvej 32"-like European streets, P.O. boxes, Apt./Suite numbers. */
export function detectStreetAddresses(text: string): PiiSpan[] {
  return [...spansOf(STREET, text, 'STREET_ADDRESS', 0.6, 1), ...spansOf(STREET_EUROPE, text, 'STREET_ADDRESS', 0.5, 1), ...spansOf(BOXES, text, 'STREET_ADDRESS', 0.5, 1)];
}

const MONTH = 'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
const DATES = [
  /\b(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)\b/g,
  /\b(\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2}))\b/g,
  new RegExp(String.raw`\b((?:${MONTH})\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?|\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:${MONTH})\.?(?:,? \d{4})?|(?:${MONTH}) \d{4})\b`, 'g'),
  /\b((?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\b/g,
  /\b(?:in|during|since|of|year|until|by) ((?:19|20)\d{2})\b/g,
  /\b(\d{1,2}:\d{2}(?::\d{2})? ?(?:[ap]\.?m\.?)?)(?!\d)/gi,
];

/** Dates and times: ISO, d/m/y, "March 3, 2020", weekdays, a year after "in"/"during"/"since", clock times. */
export function detectDates(text: string): PiiSpan[] {
  return DATES.flatMap((pattern) => spansOf(pattern, text, 'DATE_TIME', 0.5, 1));
}
