import assert from 'node:assert/strict';
import {
  DEFAULT_CUSTOMER_COUNT,
  TIERS,
  frenchRibKey,
  generateCustomers,
  isIbanValid,
  isLuhnValid,
  luhnCheckDigit,
  makeIban,
} from '../../../src/demo/customers.ts';

describe('demo customers', () => {
  describe('luhnCheckDigit', () => {
    const cases = [
      { name: 'Visa test card 4111 1111 1111 1111', body: '411111111111111', digit: '1' },
      { name: 'Visa test card 4242 4242 4242 4242', body: '424242424242424', digit: '2' },
      { name: 'Mastercard test card 5555 5555 5555 4444', body: '555555555555444', digit: '4' },
      { name: 'Amex test card 3782 822463 10005', body: '37828224631000', digit: '5' },
    ];
    for (const c of cases) {
      it(`completes the ${c.name}`, () => assert.equal(luhnCheckDigit(c.body), c.digit));
    }
  });

  describe('isLuhnValid', () => {
    const cases = [
      { name: 'a valid number', input: '4242424242424242', valid: true },
      { name: 'a valid number with spaces', input: '4242 4242 4242 4242', valid: true },
      { name: 'a valid number with dashes', input: '3782-822463-10005', valid: true },
      { name: 'a wrong check digit', input: '4242424242424241', valid: false },
      { name: 'two swapped digits', input: '2442424242424242', valid: false },
      { name: 'too few digits', input: '42424242', valid: false },
      { name: 'letters', input: '4242abcd42424242', valid: false },
    ];
    for (const c of cases) {
      it(`says ${c.valid} for ${c.name}`, () => assert.equal(isLuhnValid(c.input), c.valid));
    }
  });

  describe('IBANs', () => {
    const made = [
      { name: 'the German example IBAN', country: 'DE', bban: '370400440532013000', iban: 'DE89370400440532013000' },
      { name: 'the British example IBAN', country: 'GB', bban: 'WEST12345698765432', iban: 'GB82WEST12345698765432' },
      { name: 'the Dutch example IBAN', country: 'NL', bban: 'ABNA0417164300', iban: 'NL91ABNA0417164300' },
    ];
    for (const c of made) {
      it(`makeIban computes the check digits of ${c.name}`, () => assert.equal(makeIban(c.country, c.bban), c.iban));
    }

    it('frenchRibKey computes the RIB key of the French example account', () => {
      assert.equal(frenchRibKey('30006', '00001', '12345678901'), '89');
    });

    const checked = [
      { name: 'the French example IBAN', input: 'FR7630006000011234567890189', valid: true },
      { name: 'an IBAN written in groups of four', input: 'DE89 3704 0044 0532 0130 00', valid: true },
      { name: 'an IBAN with one digit changed', input: 'DE89370400440532013001', valid: false },
      { name: 'an IBAN with wrong check digits', input: 'DE00370400440532013000', valid: false },
      { name: 'a string that is not shaped like an IBAN', input: 'hello world', valid: false },
    ];
    for (const c of checked) {
      it(`isIbanValid says ${c.valid} for ${c.name}`, () => assert.equal(isIbanValid(c.input), c.valid));
    }
  });

  describe('generateCustomers', () => {
    const customers = generateCustomers();

    it(`makes ${DEFAULT_CUSTOMER_COUNT} customers with ids cus_001 upwards`, () => {
      assert.equal(customers.length, DEFAULT_CUSTOMER_COUNT);
      assert.equal(customers[0]?.id, 'cus_001');
      assert.equal(customers.at(-1)?.id, `cus_${String(DEFAULT_CUSTOMER_COUNT).padStart(3, '0')}`);
    });

    it('gives the same records on every run with the same seed', () => {
      assert.deepEqual(generateCustomers(), customers);
    });

    it('gives other records with another seed', () => {
      assert.notDeepEqual(generateCustomers(DEFAULT_CUSTOMER_COUNT, 42), customers);
    });

    it('gives every customer a unique id, name and email', () => {
      for (const key of ['id', 'name', 'email'] as const) {
        assert.equal(new Set(customers.map((c) => c[key])).size, customers.length, key);
      }
    });

    it('only uses Luhn-valid card numbers from payment-sandbox test ranges', () => {
      for (const c of customers) {
        assert.ok(isLuhnValid(c.card_number), c.card_number);
        assert.match(c.card_number, /^(400000\d{10}|555555\d{10}|378282\d{9})$/);
      }
    });

    it('only uses IBANs with valid check digits, from the customer\'s country', () => {
      for (const c of customers) {
        assert.ok(isIbanValid(c.iban), c.iban);
        assert.equal(c.iban.slice(0, 2), c.country);
      }
    });

    it('only uses emails under the reserved example domains', () => {
      for (const c of customers) assert.match(c.email, /^[a-z.]+@example\.(com|org|net)$/);
    });

    it('writes phone numbers in international format', () => {
      for (const c of customers) assert.match(c.phone, /^\+\d{2} [\d ]+$/);
    });

    it('uses every tier', () => {
      assert.deepEqual(new Set(customers.map((c) => c.tier)), new Set(TIERS));
    });

    it('puts PII into some free-text notes, as real support notes do', () => {
      const leaky = customers.filter((c) => c.notes.includes(c.card_number) || c.notes.includes(c.iban) || c.notes.includes(c.phone));
      assert.ok(leaky.length > 0);
    });
  });
});
