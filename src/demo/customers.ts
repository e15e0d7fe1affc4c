/**
 * The demo CRM's customer records, generated deterministically so that every run (and every test,
 * direct or through regate) sees exactly the same data. The data is fictional but shaped like real
 * PII, so the masking detectors have something real to find: Luhn-valid card numbers from payment
 * sandbox ranges, IBANs with correct check digits, phone numbers from ranges reserved for fiction
 * where a country has one, and reserved example.* email domains.
 */

export const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
export type Tier = (typeof TIERS)[number];

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly card_number: string;
  readonly iban: string;
  readonly address: string;
  readonly country: string;
  readonly tier: Tier;
  readonly notes: string;
  readonly created_at: string;
}

/** How many customers the demo starts with. */
export const DEFAULT_CUSTOMER_COUNT = 50;

/** Seed of the demo dataset; changing it changes every record. */
export const DEFAULT_SEED = 0x5eed_c0de;

/** A small, fast, seedable PRNG (mulberry32); Math.random cannot be seeded. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Luhn check digit that makes `body + digit` pass the Luhn test. */
export function luhnCheckDigit(body: string): string {
  let sum = 0;
  // Walking from the right, the digit next to the (future) check digit is doubled.
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** True when a digit string (spaces and dashes ignored) passes the Luhn test. */
export function isLuhnValid(number: string): boolean {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return false;
  return luhnCheckDigit(digits.slice(0, -1)) === digits.slice(-1);
}

/** ISO 13616 mod-97 of an IBAN-style alphanumeric string (letters A=10 .. Z=35). */
function mod97(alnum: string): number {
  let rest = 0;
  for (const ch of alnum) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) rest = (rest * 10 + Number(d)) % 97;
  }
  return rest;
}

/** Builds an IBAN from a country code and BBAN, computing the two check digits. */
export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(`${bban}${country}00`);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

/** True when an IBAN (spaces ignored) has valid mod-97 check digits. */
export function isIbanValid(iban: string): boolean {
  const compact = iban.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(compact)) return false;
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1;
}

/** The "clé RIB" French BBANs end with: bank, branch and (numeric) account weighted mod 97. */
export function frenchRibKey(bank: string, branch: string, account: string): string {
  const key = 97 - ((89 * Number(bank) + 15 * Number(branch) + 3 * Number(account)) % 97);
  return String(key).padStart(2, '0');
}

type Rng = () => number;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const digits = (rng: Rng, n: number): string => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');
const letters = (rng: Rng, n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + Math.floor(rng() * 26))).join('');

interface CountryProfile {
  readonly code: string;
  readonly cities: readonly string[];
  readonly streets: readonly string[];
  address(rng: Rng, street: string, city: string): string;
  phone(rng: Rng): string;
  iban(rng: Rng): string;
}

const COUNTRIES: readonly CountryProfile[] = [
  {
    code: 'GB',
    cities: ['London', 'Manchester', 'Leeds', 'Bristol', 'Edinburgh'],
    streets: ['Baker Street', 'Abbey Road', 'Fleet Street', 'Carnaby Street', 'Portobello Road'],
    address: (rng, street, city) =>
      `${1 + Math.floor(rng() * 220)} ${street}, ${city} ${letters(rng, 2)}${1 + Math.floor(rng() * 9)} ${Math.floor(rng() * 10)}${letters(rng, 2)}, United Kingdom`,
    // Ofcom reserves 020 7946 0000-0999 for drama: these numbers can never reach a real person.
    phone: (rng) => `+44 20 7946 0${digits(rng, 3)}`,
    iban: (rng) => makeIban('GB', `NWBK601613${digits(rng, 8)}`),
  },
  {
    code: 'DE',
    cities: ['Berlin', 'Hamburg', 'München', 'Köln', 'Leipzig'],
    streets: ['Hauptstraße', 'Schillerstraße', 'Goethestraße', 'Bahnhofstraße', 'Lindenallee'],
    address: (rng, street, city) => `${street} ${1 + Math.floor(rng() * 140)}, ${digits(rng, 5)} ${city}, Germany`,
    phone: (rng) => `+49 30 ${digits(rng, 4)} ${digits(rng, 4)}`,
    iban: (rng) => makeIban('DE', `37040044${digits(rng, 10)}`),
  },
  {
    code: 'NL',
    cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven'],
    streets: ['Keizersgracht', 'Prinsengracht', 'Kalverstraat', 'Damrak', 'Herengracht'],
    address: (rng, street, city) =>
      `${street} ${1 + Math.floor(rng() * 500)}, ${1000 + Math.floor(rng() * 9000)} ${letters(rng, 2)} ${city}, Netherlands`,
    phone: (rng) => `+31 20 ${digits(rng, 3)} ${digits(rng, 4)}`,
    iban: (rng) => makeIban('NL', `ABNA${digits(rng, 10)}`),
  },
  {
    code: 'FR',
    cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nantes'],
    streets: ['Rue de Rivoli', 'Avenue Victor Hugo', 'Rue de la Paix', 'Boulevard Haussmann', 'Rue Oberkampf'],
    address: (rng, street, city) => `${1 + Math.floor(rng() * 180)} ${street}, ${digits(rng, 5)} ${city}, France`,
    // ARCEP reserves 01 99 00 xx xx for fiction.
    phone: (rng) => `+33 1 99 00 ${digits(rng, 2)} ${digits(rng, 2)}`,
    iban: (rng) => {
      const bank = '30006';
      const branch = '00001';
      const account = digits(rng, 11);
      return makeIban('FR', `${bank}${branch}${account}${frenchRibKey(bank, branch, account)}`);
    },
  },
];

const FIRST_NAMES = [
  'Amelia', 'Noah', 'Sofia', 'Lukas', 'Chloé', 'Mateo', 'Aisha', 'Finn', 'Ingrid', 'Omar',
  'Hannah', 'Julien', 'Priya', 'Sven', 'Zoë', 'Daniel', 'Mei', 'Tobias', 'Léa', 'Kwame',
  'Eva', 'Ravi', 'Marta', 'Oliver', 'Yara', 'Jonas', 'Camille', 'Elif', 'Thomas', 'Nadia',
] as const;

const LAST_NAMES = [
  'Fischer', 'Okafor', 'van Dijk', 'Dubois', 'Patel', 'Schneider', 'Moreau', 'Jansen', 'Nguyen', 'Kowalski',
  'Bakker', 'Lefèvre', 'Hughes', 'Yilmaz', 'Becker', 'de Vries', 'Rossi', 'Murphy', 'Laurent', 'Andersen',
  'García', 'Wagner', 'Brennan', 'Haddad', 'Visser', 'Bernard', 'Kim', 'Schulz', 'Evans', 'Mensah',
] as const;

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

/** Test-range card prefixes used by payment sandboxes; the rest of the number is random + Luhn. */
const CARD_BRANDS = [
  { prefix: '400000', length: 16 }, // Visa
  { prefix: '555555', length: 16 }, // Mastercard
  { prefix: '378282', length: 15 }, // American Express
] as const;

/** Lower-case ASCII local part for an email address ("Chloé de Vries" -> "chloe.devries"). */
function emailLocalPart(first: string, last: string): string {
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '');
  return `${fold(first)}.${fold(last)}`;
}

function cardNumber(rng: Rng): string {
  const brand = pick(rng, CARD_BRANDS);
  const body = brand.prefix + digits(rng, brand.length - brand.prefix.length - 1);
  return body + luhnCheckDigit(body);
}

/** Free-text notes, as support staff write them: sometimes with PII the structured fields also hold. */
function note(rng: Rng, c: { phone: string; card: string; iban: string; first: string; last: string }): string {
  const templates: ReadonlyArray<() => string> = [
    () => '',
    () => 'Prefers contact by email. No calls before 10:00.',
    () => `Called from ${c.phone} about a disputed charge; refund pending review.`,
    () => `Asked to replace card ${c.card} after it was reported lost.`,
    () => `Refund of EUR ${10 + Math.floor(rng() * 490)}.00 sent to ${c.iban}.`,
    () => `Invoices go to accounts+${emailLocalPart(c.first, c.last)}@example.org as well.`,
    () => 'Key account: escalate any outage to the account manager within 1 hour.',
    () => 'Asked for all marketing consent to be withdrawn (GDPR Art. 21).',
  ];
  return pick(rng, templates)();
}

/** Generates `count` customers; the same seed and count always give the same records. */
export function generateCustomers(count: number = DEFAULT_CUSTOMER_COUNT, seed: number = DEFAULT_SEED): Customer[] {
  const rng = mulberry32(seed);
  const customers: Customer[] = [];
  const usedNames = new Set<string>();
  const start = Date.UTC(2021, 0, 1);
  for (let i = 1; i <= count; i++) {
    let first: string;
    let last: string;
    // Unique names keep emails unique, which search and masking tests rely on.
    do {
      first = pick(rng, FIRST_NAMES);
      last = pick(rng, LAST_NAMES);
    } while (usedNames.has(`${first} ${last}`) && usedNames.size < FIRST_NAMES.length * LAST_NAMES.length);
    usedNames.add(`${first} ${last}`);

    const country = pick(rng, COUNTRIES);
    const phone = country.phone(rng);
    const card = cardNumber(rng);
    const iban = country.iban(rng);
    const address = country.address(rng, pick(rng, country.streets), pick(rng, country.cities));
    const roll = rng();
    const tier: Tier = roll < 0.45 ? 'bronze' : roll < 0.75 ? 'silver' : roll < 0.93 ? 'gold' : 'platinum';
    const createdAt = new Date(start + Math.floor(rng() * 1400) * 86_400_000).toISOString().slice(0, 10);
    customers.push({
      id: `cus_${String(i).padStart(3, '0')}`,
      name: `${first} ${last}`,
      email: `${emailLocalPart(first, last)}@${pick(rng, EMAIL_DOMAINS)}`,
      phone,
      card_number: card,
      iban,
      address,
      country: country.code,
      tier,
      notes: note(rng, { phone, card, iban, first, last }),
      created_at: createdAt,
    });
  }
  return customers;
}
