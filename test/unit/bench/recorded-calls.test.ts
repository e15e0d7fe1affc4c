import assert from 'node:assert/strict';
import { isRecordedCall, isTranscriptFile } from '../../../scripts/bench/recorded-calls.ts';

describe('what the proxy benchmark counts as a recorded call', () => {
  const event = (fields: Record<string, unknown>) => JSON.stringify({ event_id: '0190a000-0000-7000-8000-000000000001', connection: 'crm', ...fields });

  it('counts the request event of a tools/call, and no other event', () => {
    const cases: [string, string, boolean][] = [
      ['a tools/call request', event({ kind: 'request', method: 'tools/call', tool: 'get_customer' }), true],
      ['its decision', event({ kind: 'decision', method: 'tools/call', decision: 'allow' }), false],
      ['its response', event({ kind: 'response', method: 'tools/call' }), false],
      ['an initialize request', event({ kind: 'request', method: 'initialize' }), false],
      ['a response whose content holds a request', event({ kind: 'response', method: 'tools/call', content: { kind: 'request', method: 'tools/call' } }), false],
    ];
    for (const [name, line, counted] of cases) assert.equal(isRecordedCall(line), counted, name);
  });

  it('reads the active transcript and the files the sink rotated from it, not another regate\'s', () => {
    const cases: [string, boolean][] = [
      ['transcripts-1.jsonl', true],
      ['transcripts-1.2026-11-30T14-50-00-000Z.jsonl', true],
      ['transcripts-1.2026-11-30T14-50-00-000Z-2.jsonl', true],
      ['transcripts-1-baseline.jsonl', false],
      ['transcripts-10.jsonl', false],
      ['transcripts-10.2026-11-30T14-50-00-000Z.jsonl', false],
      ['buffer-1.jsonl', false],
    ];
    for (const [name, read] of cases) assert.equal(isTranscriptFile(name, 'transcripts-1.jsonl'), read, name);
  });
});
