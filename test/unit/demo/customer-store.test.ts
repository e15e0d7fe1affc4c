import assert from 'node:assert/strict';
import { CustomerStore } from '../../../src/demo/customer-store.ts';
import { generateCustomers } from '../../../src/demo/customers.ts';

describe('CustomerStore', () => {
  let store: CustomerStore;
  beforeEach(() => {
    store = new CustomerStore(generateCustomers(12));
  });

  describe('list', () => {
    it('returns one page and the offset of the next', () => {
      const page = store.list(0, 5);
      assert.deepEqual(page.customers.map((c) => c.id), ['cus_001', 'cus_002', 'cus_003', 'cus_004', 'cus_005']);
      assert.equal(page.total, 12);
      assert.equal(page.next_offset, 5);
    });

    it('returns null as next_offset on the last page', () => {
      const page = store.list(10, 5);
      assert.deepEqual(page.customers.map((c) => c.id), ['cus_011', 'cus_012']);
      assert.equal(page.next_offset, null);
    });

    it('returns an empty page past the end', () => {
      assert.deepEqual(store.list(20, 5), { customers: [], total: 12, next_offset: null });
    });
  });

  describe('get', () => {
    it('returns the customer with that id', () => {
      assert.equal(store.get('cus_003')?.id, 'cus_003');
    });

    it('returns undefined for an unknown id', () => {
      assert.equal(store.get('cus_999'), undefined);
    });

    it('returns a copy, so changing it does not change the table', () => {
      const copy = store.get('cus_003') as { name: string };
      copy.name = 'Changed';
      assert.notEqual(store.get('cus_003')?.name, 'Changed');
    });
  });

  describe('search', () => {
    it('finds a customer by a word of the name, ignoring case and accents', () => {
      const target = store.get('cus_001');
      assert.ok(target);
      const word = target.name.split(' ')[0] as string;
      const folded = word.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase();
      const hits = store.search(folded, 50).customers.map((c) => c.id);
      assert.ok(hits.includes('cus_001'), `${folded} -> ${hits.join(',')}`);
    });

    it('requires every word of the query to match', () => {
      const target = store.get('cus_002');
      assert.ok(target);
      const both = store.search(`${target.email} ${target.tier}`, 50);
      assert.deepEqual(both.customers.map((c) => c.id), ['cus_002']);
      assert.equal(store.search(`${target.email} no-such-word`, 50).total, 0);
    });

    it('does not search card numbers', () => {
      const target = store.get('cus_004');
      assert.ok(target);
      const hits = store.search(target.card_number, 50).customers;
      assert.ok(hits.every((c) => c.notes.includes(target.card_number)));
    });

    it('reports the total number of matches beyond the limit', () => {
      const result = store.search('example', 3);
      assert.equal(result.customers.length, 3);
      assert.equal(result.total, 12);
    });
  });

  describe('updateTier', () => {
    it('changes the tier and reports the previous one', () => {
      const before = store.get('cus_005')?.tier;
      const next = before === 'platinum' ? 'bronze' : 'platinum';
      const change = store.updateTier('cus_005', next);
      assert.equal(change?.previous_tier, before);
      assert.equal(change?.customer.tier, next);
      assert.equal(store.get('cus_005')?.tier, next);
    });

    it('changes nothing else when called twice with the same tier', () => {
      store.updateTier('cus_005', 'gold');
      const snapshot = store.all();
      const again = store.updateTier('cus_005', 'gold');
      assert.equal(again?.previous_tier, 'gold');
      assert.deepEqual(store.all(), snapshot);
    });

    it('returns undefined for an unknown id', () => {
      assert.equal(store.updateTier('cus_999', 'gold'), undefined);
    });
  });

  describe('delete', () => {
    it('removes the customer and returns the removed record', () => {
      const removed = store.delete('cus_007');
      assert.equal(removed?.id, 'cus_007');
      assert.equal(store.get('cus_007'), undefined);
      assert.equal(store.size, 11);
    });

    it('returns undefined the second time', () => {
      store.delete('cus_007');
      assert.equal(store.delete('cus_007'), undefined);
    });
  });

  describe('all', () => {
    it('filters by tier', () => {
      const gold = store.all('gold');
      assert.ok(gold.every((c) => c.tier === 'gold'));
      assert.equal(gold.length, store.all().filter((c) => c.tier === 'gold').length);
    });
  });
});
