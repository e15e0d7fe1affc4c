import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COLUMN_TYPES } from '../../../src/audit/columns.ts';
import { BINDING_FIELDS, EVENT_FIELDS } from '../../../src/audit/event.ts';

// The bicep CLI cannot be installed here (it needs .NET), so this spec reads the template instead
// of compiling it: its column list must be the event's, field for field and type for type.
const bicep = readFileSync(new URL('../../../deploy/azure/transcripts.bicep', import.meta.url), 'utf8');

function columnsOf(block: string): [string, string][] {
  return [...block.matchAll(/\{ name: '(\w+)', type: '(\w+)' \}/g)].map((m) => [m[1] ?? '', m[2] ?? '']);
}

describe('deploy/azure/transcripts.bicep against the transcript event', () => {
  const declared = columnsOf(/var eventColumns = \[([\s\S]*?)\n\]/.exec(bicep)?.[1] ?? '');

  it('declares one column per event field, in the event\'s order, with the documented types', () => {
    assert.deepEqual(declared.map(([n]) => n), EVENT_FIELDS);
    assert.deepEqual(Object.fromEntries(declared), COLUMN_TYPES);
  });

  it('carries every binding field of DESIGN.md', () => {
    for (const f of BINDING_FIELDS) assert.ok(declared.some(([n]) => n === f), f);
  });

  it('uses the same columns for the table (plus TimeGenerated) and the stream declaration', () => {
    assert.match(bicep, /columns: concat\(\[\{ name: 'TimeGenerated', type: 'datetime' \}\], eventColumns\)/);
    assert.match(bicep, /'Custom-RegateTranscripts': \{\s*columns: eventColumns\s*\}/);
  });

  it('names the table, stream, transformation and role the recorder relies on', () => {
    assert.match(bicep, /var tableName = 'RegateTranscripts_CL'/);
    assert.match(bicep, /var streamName = 'Custom-RegateTranscripts'/);
    assert.match(bicep, /transformKql: 'source \| extend TimeGenerated = todatetime\(\[\\'time\\'\]\)'/);
    assert.match(bicep, /outputStream: 'Custom-\$\{tableName\}'/);
    assert.match(bicep, /var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'/);
    assert.match(bicep, /param tablePlan string = 'Analytics'/);
    assert.match(bicep, /param retentionInDays int = 90/);
    assert.match(bicep, /param totalRetentionInDays int = 365/);
  });
});
