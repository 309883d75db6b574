import { isValidIBAN } from 'ibantools';

/** Luhn (mod 10) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * A payment card number: 12–19 digits (Maestro starts at 12) passing Luhn. Issuer prefixes are
 * not checked: they change (Mastercard's 2-series, new UnionPay ranges) and a stale list misses
 * real cards; a run of one digit repeated is refused.
 */
export function isCardNumber(digits: string): boolean {
  if (digits.length < 12 || digits.length > 19) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  return luhnValid(digits);
}

/** An IBAN (spaces allowed): the country's length and format, and the mod-97 check (ibantools). */
export function isIban(value: string): boolean {
  return isValidIBAN(value.replace(/ /g, '').toUpperCase());
}

/**
 * A US Social Security number as the SSA issues them: area not 000, 666 or 900–999; group not 00;
 * serial not 0000; and not a well-known advertising number (078-05-1120, 219-09-9999).
 */
export function isUsSsn(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area.startsWith('9')) return false;
  if (group === '00' || serial === '0000') return false;
  const whole = `${area}${group}${serial}`;
  if (whole === '078051120' || whole === '219099999') return false;
  // Every digit the same (111-11-1111) or a run (123-45-6789) is a placeholder, not an issued number.
  if (/^(\d)\1{8}$/.test(whole) || whole === '123456789') return false;
  return true;
}
