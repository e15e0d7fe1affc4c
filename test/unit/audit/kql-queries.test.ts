import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLUMN_TYPES } from '../../../src/audit/columns.ts';

/**
 * The KQL in deploy/azure/queries/ (and the workbook built from it) may only name columns of
 * RegateTranscripts_CL (src/audit/columns.ts plus TimeGenerated) or names the query defines
 * itself. There is no Kusto engine here, so a small tokenizer checks the references: strings,
 * comments, timespans and property accesses are removed, KQL's own words are known, and every
 * other identifier must be a column or a name bound by `let`, `name =` or `mv-expand name =`.
 */
const DIR = join(import.meta.dirname, '../../../deploy/azure/queries');
const TABLE = 'RegateTranscripts_CL';
const COLUMNS = new Set([...Object.keys(COLUMN_TYPES), 'TimeGenerated']);
const KQL_WORDS = new Set(
  ('summarize arg_max by where in and or not countif dcount dcountif min max order sort asc desc join kind leftouter on project extend let ' +
    'mv expand iif array_length pack_array pack tostring tolong toint make_set make_set_if sumif isnotempty isempty hourofday dayofweek ' +
    'bag_merge bag_pack bag_keys to typeof string long int dynamic count sum take limit ago now between true false')
    .split(' '),
);

/** Identifiers a query refers to that are neither KQL, the table, nor names it binds. */
function unknownReferences(kql: string): string[] {
  let text = kql
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\['(\w+)'\]/g, ' $1 ')
    .replace(/\bkind\s*=\s*\w+/g, ' ')
    .replace(/\b\d+(?:\.\d+)?[dhms]?\b/g, ' ');
  // Property access on a dynamic value (`entry.name`) names a key, not a column.
  text = text.replace(/(\w)\.(\w+)/g, '$1 ');
  const bound = new Set<string>();
  for (const m of text.matchAll(/(?:\blet\s+|[|,(]\s*(?:summarize|extend|project|mv-expand)?\s*)(\w+)\s*=(?!=)/g)) bound.add(m[1] ?? '');
  for (const m of text.matchAll(/\b(\w+)\s*=(?!=)/g)) bound.add(m[1] ?? '');
  const unknown = new Set<string>();
  for (const m of text.matchAll(/\b[A-Za-z_]\w*\b/g)) {
    const id = m[0];
    if (id === TABLE || KQL_WORDS.has(id) || bound.has(id) || COLUMNS.has(id)) continue;
    unknown.add(id);
  }
  return [...unknown].sort();
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.kql')).sort();

describe('KQL queries in deploy/azure/queries against the table schema', () => {
  it('has the six access-review queries', () => {
    assert.deepEqual(files, [
      'approvals-by-approver.kql',
      'calls-outside-business-hours.kql',
      'denied-calls.kql',
      'exposures.kql',
      'sessions-by-principal.kql',
      'who-used-which-connection.kql',
    ]);
  });

  for (const f of files) {
    const kql = readFileSync(join(DIR, f), 'utf8');
    it(`${f} names only columns of ${TABLE} or names it defines, and dedupes on event_id first`, () => {
      assert.deepEqual(unknownReferences(kql), []);
      assert.match(kql, new RegExp(`${TABLE}\\n\\| summarize arg_max\\(TimeGenerated, \\*\\) by event_id\\n`));
    });
  }

  it('catches a reference to a column the table does not have', () => {
    assert.deepEqual(unknownReferences(`${TABLE}\n| where principal == "x" and tool_name == "y"\n| extend ok = 1\n| project ok, tool`), ['principal', 'tool_name']);
  });

  it('puts each query into the workbook template unchanged', () => {
    const workbook = JSON.parse(readFileSync(join(DIR, '../workbook.json'), 'utf8'));
    const data = JSON.parse(workbook.resources[0].properties.serializedData);
    const queries = data.items.filter((i: { type: number }) => i.type === 3).map((i: { content: { query: string } }) => i.content.query);
    assert.deepEqual(queries, files.map((f) => readFileSync(join(DIR, f), 'utf8')));
  });
});
