import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateCustomers, mulberry32 } from '../../../src/demo/customers.ts';
import { CTX_PHONE, CTX_SECRET, CTX_SSN } from '../../../src/masking/context.ts';
import { ALL_BUILTIN, DET, scanBuiltins } from '../../../src/masking/scanner.ts';
import { scanBuiltins as oracle } from '../../helpers/scanner-oracle.ts';

// The scanner is tuned by hand for speed; the oracle is the scanner before that tuning. On text
// built from the pieces detectors care about (digit runs and their separators, token prefixes,
// folded digits, context words, the demo's PII), both must report the same hits in the same order.
// SCANNER_FUZZ_STRINGS runs more strings (the tuning was checked once with 600,000).
const STRINGS = Number(process.env.SCANNER_FUZZ_STRINGS ?? 20_000);
const SEED = 0x5ca2_2026;

const customers = generateCustomers(60);
const PII = customers.flatMap((c) => [c.email, c.phone, c.card_number, c.iban]);
const FIXED = [
  // values and near misses
  '4111 1111 1111 1111', '4111111111111111', '5555-5555-5555-4444', '3782 822463 10005', '4222222222222', '4111 1111 1111 1112',
  '123-45-6789', '219 09 9999', '219099999', '000-12-3456', '900-12-3456', 'DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432',
  'NL91ABNA0417164300', 'NO9386011117947', 'FR14 2004 1010 0505 0001 3M02 606', 'DE89370400440532013001',
  '+44 20 7946 0958', '+4915112345678', '+1 (415) 555-0132', '(415) 555-0132', '020 7946 0958', '06 12 34 56 78', '415.555.0132',
  '192.168.1.10', '10.0.0.0/8', '256.1.1.1', '1.2.3.4.5', '2001:db8::1', 'fe80:0:0:0:1ff:fe23:4567:890a', '::ffff:192.0.2.1', '::', 'std::vector',
  '00:1A:2B:3C:4D:5E', '10:30:00', '23:59:59.120', '2024-01-15T10:30:00Z', '1732960800000', '550e8400-e29b-41d4-a716-446655440000',
  'ada@example.com', 'first.last+tag@mail.example.co.uk', "o'brien@example.org", 'müller@example.de', 'user@localhost', '@ada', 'npm i @scope/pkg',
  // secrets and their prefixes
  'AKIAIOSFODNN7EXAMPLE', 'AKIA1234', 'ASIA', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7', 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', 'github_pat_11ABCDEFG0123456789_abcdefghij',
  'xoxb-1234567890-abcdefghij', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'rk_live_', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----',
  '------BEGIN CERTIFICATE-----', 'Bearer abcDEF123456ghiJKL789xyz', 'bearer realm="api"', 'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  'SharedAccessKey=q1w2e3r4t5y6u7i8o9p0asdfghjklzxcvbnm1234567=', '&sig=abcdEFGH1234ijklMNOP5678%2B%3D&', 'api_key=Zx81kLq0Pz7TyY2mWv4Q',
  'client_secret: "Q~8aZ.k2-PzLmN0qR5sT7uV9wX"', 'password = hunter2hunter2', 'token: none', 'secret=aaaaaaaaaaaaaaaa', 'password: ********',
  // context words
  'phone: ', 'Tel. ', 'call ', 'mobile no. ', 'fax #', 'SSN ', 'ssn: ', 'social security number ', 'ss# ', 'token=', 'pwd:', 'sig=',
  'API_KEY=', 'Password: ', '"X-Auth-Token": "', 'SECRET=', "passphrase='", 'SharedAccessSignature=', 'SIG=', 'AccountKey=', 'PWD =', 'PassWD:',
  // ordinary output
  'v24.11.0', '1.0.0-beta.2+exp.sha.5114f85', '$1,299.00', 'EUR 3.512,50', 'cus_001', 'max_tokens', 'ORD-2024-000123', 'UPS 1Z999AA10123456784',
  '9400111899223344556677', 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'https://example.com:8443/docs', 'localhost:8080', '[::]:9090',
  'ISBN 978-3-16-148410-0', 'arXiv:2401.01234v2', 'hey ', 'ey', 'J', 'A', 'x', 'ox', 'B', '_', '-', '=', ':', '@', '\\', '\\u0034', '\\u00e9', '\\ud83d\\ude00',
];
const SEPS = [' ', '-', '.', '(', ')', '+', '/', ':', ',', '  ', ' - ', '. ', '\n', '\t', '"', "'", '=', '_', '@', '#', '\u00a0', '\u2013', '\u200b', '\u3000'];
// Full-width, Arabic-Indic, Devanagari and mathematical digits fold to ASCII digits.
const DIGIT_FORMS = [(d: number) => String(d), (d: number) => String.fromCharCode(0xff10 + d), (d: number) => String.fromCharCode(0x660 + d), (d: number) => String.fromCharCode(0x966 + d), (d: number) => String.fromCodePoint(0x1d7ce + d), (d: number) => `\\u003${d}`];
const WORDS = ['the', 'ref', 'id', 'a', 'AB', 'DE', 'GB', 'FR', 'NL', 'XX', 'key', 'ey', 'ox', 'earer', 'BEGIN', 'Zoë', '日本', 'é', 'data', 'sig', 'AccountKey', 'secret', 'api_key', 'token'];

function generate(rng: () => number): { text: string; enabled: number; ctx: number } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
  const digitRun = (n: number, folded: boolean): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += (folded && rng() < 0.3 ? pick(DIGIT_FORMS) : (d: number) => String(d))(Math.floor(rng() * 10));
    return s;
  };
  const pieces = 1 + Math.floor(rng() * 12);
  const folded = rng() < 0.15;
  let text = '';
  for (let i = 0; i < pieces; i++) {
    const r = rng();
    if (r < 0.3) text += digitRun(1 + Math.floor(rng() * (rng() < 0.5 ? 4 : 20)), folded);
    else if (r < 0.5) text += pick(SEPS);
    else if (r < 0.62) text += pick(FIXED);
    else if (r < 0.72) text += pick(PII);
    else if (r < 0.82) text += pick(WORDS);
    else if (r < 0.9) {
      // A grouped number: the shapes of cards, phones, SSNs, IPs and dates.
      const groups = 2 + Math.floor(rng() * 5);
      const sep = pick([' ', '-', '.', ' ', '', ') ', ' - ']);
      text += Array.from({ length: groups }, () => digitRun(1 + Math.floor(rng() * 5), folded)).join(sep);
    } else if (r < 0.95) {
      const p = pick(PII);
      // A value cut or changed in one place: a near miss.
      const k = Math.floor(rng() * p.length);
      text += rng() < 0.5 ? p.slice(0, k) + p.slice(k + 1) : p.slice(0, k) + String(Math.floor(rng() * 10)) + p.slice(k + 1);
    } else text += Array.from({ length: 8 + Math.floor(rng() * 30) }, () => pick([...'abcXYZ019_-+/=.~'])).join('');
  }
  const enabled = rng() < 0.8 ? ALL_BUILTIN : Math.floor(rng() * 128);
  const ctx = rng() < 0.7 ? 0 : pick([CTX_PHONE, CTX_SSN, CTX_SECRET, CTX_PHONE | CTX_SSN, CTX_PHONE | CTX_SSN | CTX_SECRET]);
  return { text, enabled, ctx };
}

const show = (text: string, enabled: number, ctx: number, hits: readonly { start: number; end: number; detector: string }[]) =>
  JSON.stringify({ text, enabled, ctx, hits: hits.map((h) => [h.detector, h.start, h.end, text.slice(h.start, h.end)]) });

describe('scanner differential (against the scanner before tuning)', function () {
  this.timeout(Math.max(20_000, STRINGS));

  it(`finds exactly the old hits, in the same order, on ${STRINGS} generated strings`, () => {
    const rng = mulberry32(SEED);
    let withHits = 0;
    for (let i = 0; i < STRINGS; i++) {
      const { text, enabled, ctx } = generate(rng);
      const want = oracle(text, enabled, ctx);
      const got = scanBuiltins(text, enabled, ctx);
      if (want.length > 0) withHits++;
      assert.equal(show(text, enabled, ctx, got), show(text, enabled, ctx, want), `string #${i}`);
    }
    // The generator must produce hits often, or the comparison proves little.
    assert.ok(withHits > STRINGS / 4, `only ${withHits} of ${STRINGS} strings had hits`);
  });

  it('finds exactly the old hits on the no-false-positive corpus and on the demo records, under every key context', () => {
    const ordinary = readFileSync(new URL('../../fixtures/masking/ordinary-output.txt', import.meta.url), 'utf8');
    const records = JSON.stringify({ customers: customers }, null, 2);
    for (const text of [ordinary, records, ...ordinary.split('\n'), ...customers.flatMap((c) => Object.values(c).map(String))]) {
      for (const ctx of [0, CTX_PHONE, CTX_SSN, CTX_SECRET]) {
        assert.equal(show(text, ALL_BUILTIN, ctx, scanBuiltins(text, ALL_BUILTIN, ctx)), show(text, ALL_BUILTIN, ctx, oracle(text, ALL_BUILTIN, ctx)));
      }
    }
  });

  it('finds exactly the old hits on long strings of concatenated pieces (runs across many places)', () => {
    const rng = mulberry32(SEED + 1);
    for (let i = 0; i < 200; i++) {
      let text = '';
      while (text.length < 4000) text += generate(rng).text + (rng() < 0.5 ? ' ' : '');
      for (const enabled of [ALL_BUILTIN, DET.credit_card | DET.phone, DET.secret | DET.ip]) {
        assert.equal(show(text, enabled, 0, scanBuiltins(text, enabled, 0)), show(text, enabled, 0, oracle(text, enabled, 0)), `long string #${i}`);
      }
    }
  });
});

describe('scanner on text that grows its byte buffer', () => {
  // The scanner copies text into a reused byte buffer; a longer text grows it. Text beyond ASCII
  // must be recognised even where the buffer is just long enough for the ASCII case.
  for (const size of [5_000, 70_000, 1_100_000]) {
    for (const tail of ['€', 'é€', '😀', '４１１１ １１１１ １１１１ １１１１']) {
      it(`${size} characters ending in ${JSON.stringify(tail)}`, () => {
        const body = 'card 4111 1111 1111 1111, mail ada@example.com; '.repeat(Math.ceil(size / 48)).slice(0, size - tail.length);
        const text = body + tail;
        assert.equal(show(text, ALL_BUILTIN, 0, scanBuiltins(text, ALL_BUILTIN, 0)), show(text, ALL_BUILTIN, 0, oracle(text, ALL_BUILTIN, 0)));
      });
    }
  }
});
