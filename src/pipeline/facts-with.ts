import type { ExchangeFacts } from './call-record.ts';

/**
 * A copy of `facts` with `over` in place of some of its fields. Unlike an object spread, it never
 * runs a getter it copies: `signal` is made on first use (an abort controller registered until its
 * response closes), and a copy that replaces it must not make one.
 */
export function factsWith(facts: ExchangeFacts, over: Partial<ExchangeFacts>): ExchangeFacts {
  const fields = Object.getOwnPropertyDescriptors(facts) as PropertyDescriptorMap;
  for (const [k, value] of Object.entries(over)) fields[k] = { value, writable: true, enumerable: true, configurable: true };
  return Object.defineProperties({}, fields) as ExchangeFacts;
}
