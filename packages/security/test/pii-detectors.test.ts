import { describe, expect, it } from '@jest/globals';
import { detectPii, isIban, isUsSsn, luhnValid, maskSpans, regexBaselineDetector, ruleDetector, scoreDetector, type LabelledExample } from '../src/index.js';

/**
 * A fixture written for these tests (not taken from any data set): every detector has sentences
 * it must find, and look-alikes it must leave alone (a failed checksum, a date, an order number).
 */
const FIXTURE: Array<{ text: string; expect: Array<[string, string]> }> = [
  { text: 'Write to jo.ann+lab@mail.example.org or ops@example.co.uk today.', expect: [['EMAIL_ADDRESS', 'jo.ann+lab@mail.example.org'], ['EMAIL_ADDRESS', 'ops@example.co.uk']] },
  { text: 'The handle @example and a@b are not addresses.', expect: [] },
  { text: 'Card 4111 1111 1111 1111 expires soon; card 4111111111111112 fails Luhn.', expect: [['CREDIT_CARD', '4111 1111 1111 1111']] },
  { text: 'Amex 3782-822463-10005 was declined.', expect: [['CREDIT_CARD', '3782-822463-10005']] },
  { text: 'Pay to DE89 3704 0044 0532 0130 00 please.', expect: [['IBAN_CODE', 'DE89 3704 0044 0532 0130 00']] },
  { text: 'IBAN FR1420041010050500013M02606 is fine but FR1420041010050500013M02607 is not.', expect: [['IBAN_CODE', 'FR1420041010050500013M02606']] },
  { text: 'SSN 536-22-8726 on file; 666-12-3456 and 912-34-5678 cannot be issued.', expect: [['US_SSN', '536-22-8726']] },
  { text: 'Social security number 536228726 was given.', expect: [['US_SSN', '536228726']] },
  { text: 'Order 536228726 shipped.', expect: [] },
  { text: 'Logins from 203.0.113.42 and 2001:db8::8a2e:370:7334, not 999.1.1.1 or 10:30:00.', expect: [['IP_ADDRESS', '203.0.113.42'], ['IP_ADDRESS', '2001:db8::8a2e:370:7334'], ['DATE_TIME', '10:30:00']] },
  { text: 'Call me on +44 20 7946 0958 or at (415) 555-0132 x12.', expect: [['PHONE_NUMBER', '+44 20 7946 0958'], ['PHONE_NUMBER', '(415) 555-0132 x12']] },
  // 447700900106 passes Luhn: after a + it is a phone number, not a card.
  { text: 'Reach me on +447700900106 mobile.', expect: [['PHONE_NUMBER', '+447700900106']] },
  { text: 'Mobile: 0612 34 56 78\nFax: 030 1234567', expect: [['PHONE_NUMBER', '0612 34 56 78'], ['PHONE_NUMBER', '030 1234567']] },
  { text: 'The meeting is on 2024-03-05 and the invoice total was 1 234 567.', expect: [['DATE_TIME', '2024-03-05']] },
  { text: 'See https://intranet.example.com/wiki/page. Thanks', expect: [['URL', 'https://intranet.example.com/wiki/page']] },
  { text: 'My name is Ada Lovelace and I live in Portugal.', expect: [['PERSON', 'Ada Lovelace'], ['LOCATION', 'Portugal']] },
  { text: 'Dear Mrs. Okafor, Northwind Traders Ltd. moved to 221 Baker Street.', expect: [['PERSON', 'Okafor'], ['ORGANIZATION', 'Northwind Traders Ltd.'], ['STREET_ADDRESS', '221 Baker Street']] },
  { text: 'We met on Tuesday, March 3, 2020.', expect: [['DATE_TIME', 'Tuesday'], ['DATE_TIME', 'March 3, 2020']] },
];

describe('PII rule detectors on a hand-written fixture', () => {
  it.each(FIXTURE)('finds exactly the PII in %j', ({ text, expect: wanted }) => {
    const found = detectPii(text).map((span) => [span.type, text.slice(span.start, span.end)]);
    expect(found).toEqual(wanted);
  });

  it('checks cards with Luhn, IBANs with mod-97, SSNs with the SSA rules', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('GB82 WEST 1234 5698 7654 33')).toBe(false);
    // A valid checksum but the wrong length for Germany.
    expect(isIban('DE8937040044053201300')).toBe(false);
    expect(isUsSsn('000', '12', '3456')).toBe(false);
    expect(isUsSsn('123', '00', '4567')).toBe(false);
    expect(isUsSsn('123', '45', '0000')).toBe(false);
    expect(isUsSsn('536', '22', '8726')).toBe(true);
  });

  it('filters by entity type and refuses an unknown one by name', () => {
    const text = 'mail ops@example.org, card 4111111111111111';
    expect(detectPii(text, { entities: ['CREDIT_CARD'] }).map((span) => span.type)).toEqual(['CREDIT_CARD']);
    expect(() => detectPii(text, { entities: ['EMAIL'] })).toThrow(/unknown PII entity type "EMAIL".*EMAIL_ADDRESS/);
  });

  it('masks spans with their type', () => {
    const text = 'Reach ops@example.org from 203.0.113.42';
    expect(maskSpans(text, detectPii(text))).toBe('Reach <EMAIL_ADDRESS> from <IP_ADDRESS>');
  });

  it('scores better than the regex baseline on the fixture, exact spans', async () => {
    const examples: LabelledExample[] = FIXTURE.map(({ text, expect: wanted }) => {
      let from = 0;
      return {
        text,
        spans: wanted.map(([type, value]) => {
          const start = text.indexOf(value, from);
          from = start + value.length;
          return { type, start, end: start + value.length };
        }),
      };
    });
    const ours = await scoreDetector(ruleDetector(), examples);
    const baseline = await scoreDetector(regexBaselineDetector(), examples);
    expect(ours.exact.ALL?.f1).toBe(1);
    for (const type of ['CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS', 'PHONE_NUMBER']) {
      expect(ours.exact[type]?.f1).toBeGreaterThan(baseline.exact[type]?.f1 ?? 0);
    }
  });
});
