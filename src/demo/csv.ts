/**
 * RFC 4180 CSV for the demo's `export_customers_csv` tool. The export is deliberately the
 * "bulk PII leaves the building" case: every column, including card numbers and IBANs.
 */
import type { Customer } from './customers.ts';

export const CSV_COLUMNS = [
  'id', 'name', 'email', 'phone', 'card_number', 'iban', 'address', 'country', 'tier', 'notes', 'created_at',
] as const satisfies ReadonlyArray<keyof Customer>;

/** Quotes a field when it holds a comma, quote or line break (RFC 4180 section 2). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A header line plus one CRLF-terminated line per customer. */
export function customersToCsv(customers: readonly Customer[]): string {
  // No spreadsheet-formula escaping ("=", "+", ...): it would rewrite phone numbers such as
  // "+44 ..." and this export is read by agents and masking detectors, not by spreadsheets.
  const lines = [CSV_COLUMNS.join(',')];
  for (const c of customers) lines.push(CSV_COLUMNS.map((k) => csvField(String(c[k]))).join(','));
  return lines.map((l) => `${l}\r\n`).join('');
}
