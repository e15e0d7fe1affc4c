/**
 * Checksums and range rules that turn "looks like" into "is": built-in detectors use them, and
 * custom detectors name them (`validator: luhn`) in the bundle's data.
 */

/** Luhn (ISO/IEC 7812) over the digits of `s`; non-digits are ignored. */
export function luhn(s: string): boolean {
  return luhnRange(s, 0, s.length);
}

/** Luhn over the digits of t[from, to) (at least two), separators skipped, without building a string. */
export function luhnRange(t: string, from: number, to: number): boolean {
  let sum = 0;
  let double = false;
  let count = 0;
  for (let i = to - 1; i >= from; i--) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    count++;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return count > 1 && sum % 10 === 0;
}

/** ISO 7064 MOD 97-10 as IBANs use it: country and check digits moved to the end, letters as 10..35. */
export function mod97(s: string): boolean {
  const v = /^[0-9A-Z]+$/.test(s) ? s : s.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  if (v.length < 5) return false;
  const rearranged = v.slice(4) + v.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else rem = (rem * 100 + (c - 55)) % 97;
  }
  return rem === 1;
}

/** IBAN lengths per country (SWIFT IBAN registry), including the two letters and two check digits. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/** A whole IBAN: known country, that country's length, mod-97. Spaces are ignored. */
export function iban(s: string): boolean {
  const v = s.replace(/[\s-]/g, '').toUpperCase();
  return IBAN_LENGTHS[v.slice(0, 2)] === v.length && /^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(v) && mod97(v);
}

/** A US SSN's nine digits outside the ranges never issued: area 000, 666, 900-999; group 00; serial 0000. */
export function ssn(s: string): boolean {
  const d = s.replace(/\D/g, '');
  if (d.length !== 9) return false;
  const area = d.slice(0, 3);
  return area !== '000' && area !== '666' && area[0] !== '9' && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';
}

/** Validators a custom detector may name. */
export const VALIDATORS: Readonly<Record<string, (s: string) => boolean>> = { luhn, mod97, iban, ssn };
