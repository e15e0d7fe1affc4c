import assert from 'node:assert/strict';
import { CSV_COLUMNS, csvField, customersToCsv } from '../../../src/demo/csv.ts';
import { generateCustomers } from '../../../src/demo/customers.ts';

describe('demo CSV export', () => {
  describe('csvField', () => {
    const cases = [
      { name: 'a plain value unchanged', input: 'gold', output: 'gold' },
      { name: 'a value with a comma in quotes', input: 'Baker Street, London', output: '"Baker Street, London"' },
      { name: 'a quote doubled inside quotes', input: 'the "VIP" one', output: '"the ""VIP"" one"' },
      { name: 'a line break in quotes', input: 'line 1\nline 2', output: '"line 1\nline 2"' },
      { name: 'a leading plus unchanged (phone numbers)', input: '+44 20 7946 0000', output: '+44 20 7946 0000' },
      { name: 'an empty value as empty', input: '', output: '' },
    ];
    for (const c of cases) it(`writes ${c.name}`, () => assert.equal(csvField(c.input), c.output));
  });

  describe('customersToCsv', () => {
    const customers = generateCustomers(3);
    const csv = customersToCsv(customers);
    const lines = csv.split('\r\n');

    it('starts with the header line', () => {
      assert.equal(lines[0], CSV_COLUMNS.join(','));
    });

    it('writes one CRLF-terminated line per customer', () => {
      assert.equal(lines.length, customers.length + 2);
      assert.equal(lines.at(-1), '');
    });

    it('includes every field, PII included', () => {
      for (const c of customers) {
        const line = lines.find((l) => l.startsWith(`${c.id},`));
        assert.ok(line, c.id);
        for (const value of [c.email, c.phone, c.card_number, c.iban]) assert.ok(line.includes(value), value);
        assert.ok(line.includes(`"${c.address}"`), 'addresses contain commas and are quoted');
      }
    });
  });
});
