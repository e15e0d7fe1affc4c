import assert from 'node:assert/strict';
import { SseParser, formatSseEvent, type SseItem } from '../../../src/mcp/sse.ts';

function parseAll(chunks: readonly string[], max = 1 << 20): SseItem[] {
  const p = new SseParser(max);
  return chunks.flatMap((c) => p.push(Buffer.from(c)));
}

describe('SSE framing', () => {
  const cases: ReadonlyArray<{ name: string; chunks: string[]; want: SseItem[] }> = [
    {
      name: 'one event with a type and an id',
      chunks: ['event: message\nid: 7\ndata: {"a":1}\n\n'],
      want: [{ type: 'event', event: 'message', id: '7', data: '{"a":1}', retry: undefined }],
    },
    {
      name: 'an event split across chunks at every awkward place',
      chunks: ['da', 'ta: hel', 'lo\n', '\n'],
      want: [{ type: 'event', event: undefined, id: undefined, data: 'hello', retry: undefined }],
    },
    {
      name: 'CRLF and lone CR line endings',
      chunks: ['data: a\r\ndata: b\r\n\r', '\ndata: c\r\r'],
      want: [
        { type: 'event', event: undefined, id: undefined, data: 'a\nb', retry: undefined },
        { type: 'event', event: undefined, id: undefined, data: 'c', retry: undefined },
      ],
    },
    {
      name: 'a keepalive comment (reported, not dropped)',
      chunks: [': ping\n\n'],
      want: [{ type: 'comment', text: ' ping' }],
    },
    {
      name: 'an event without data (not dispatched)',
      chunks: ['event: x\n\n'],
      want: [],
    },
    {
      name: 'retry only when digits, unknown fields ignored',
      chunks: ['retry: 10x\nfoo: bar\ndata: d\n\nretry: 500\ndata: e\n\n'],
      want: [
        { type: 'event', event: undefined, id: undefined, data: 'd', retry: undefined },
        { type: 'event', event: undefined, id: undefined, data: 'e', retry: 500 },
      ],
    },
    {
      name: 'a leading byte-order mark (skipped)',
      chunks: ['\uFEFFdata: x\n\n'],
      want: [{ type: 'event', event: undefined, id: undefined, data: 'x', retry: undefined }],
    },
  ];
  for (const c of cases) {
    it(`parses ${c.name}`, () => assert.deepEqual(parseAll(c.chunks), c.want));
  }

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('data: é\n\n');
    const p = new SseParser(1024);
    const items = [...p.push(bytes.subarray(0, 7)), ...p.push(bytes.subarray(7))];
    assert.deepEqual(items, [{ type: 'event', event: undefined, id: undefined, data: 'é', retry: undefined }]);
  });

  it('refuses an event larger than the limit, even without a line break', () => {
    const p = new SseParser(100);
    assert.throws(() => p.push('data: ' + 'x'.repeat(200)), { code: 'REGATE_ERR_UPSTREAM_TOO_LARGE' });
    const q = new SseParser(100);
    assert.throws(() => {
      for (let i = 0; i < 20; i++) q.push('data: xxxxxxxxxx\n');
    }, { code: 'REGATE_ERR_UPSTREAM_TOO_LARGE' });
  });

  it('round-trips multi-line data through formatSseEvent', () => {
    const text = formatSseEvent({ event: 'message', id: '3', data: 'line1\nline2' });
    assert.equal(text, 'event: message\nid: 3\ndata: line1\ndata: line2\n\n');
    assert.deepEqual(parseAll([text]), [{ type: 'event', event: 'message', id: '3', data: 'line1\nline2', retry: undefined }]);
  });
});
