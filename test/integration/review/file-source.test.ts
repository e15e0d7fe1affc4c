import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventJson, type TranscriptEvent } from '../../../src/audit/event.ts';
import { readTranscriptFiles, transcriptFiles } from '../../../src/audit/review/file-source.ts';

/**
 * One session's timeline (`regate replay`, `GET /sessions/{id}`) reads the transcript files but
 * parses only the lines that name the session, as the file sink writes it.
 */
describe('reading transcript files for one session', () => {
  let dir: string;
  const ev = (n: number, session: string | undefined): TranscriptEvent => ({
    event_id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, time: '2026-11-30T10:00:00.000Z', connection: 'crm', kind: 'request',
    ...(session !== undefined ? { session_id: session } : {}),
  });
  const quoted = 'se"ss\\ion-1';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'regate-file-source-'));
    const lines = [eventJson(ev(1, quoted)), eventJson(ev(2, 'other')), '{"event_id":"torn', eventJson(ev(3, undefined)), eventJson(ev(4, quoted))];
    await writeFile(join(dir, 'transcripts.jsonl'), `${lines.join('\n')}\n`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (sessionId?: string) => {
    const files = await transcriptFiles(join(dir, 'transcripts.jsonl'), { sinceMs: 0, untilMs: Date.now() });
    const out: (TranscriptEvent | undefined)[] = [];
    for await (const e of readTranscriptFiles(files, undefined, sessionId)) out.push(e);
    return out;
  };

  it('yields only the events of the session (its id JSON-escaped as written), and parses no other line', async () => {
    assert.deepEqual((await read(quoted)).map((e) => e?.event_id.slice(-1)), ['1', '4']);
  });

  it('yields every line without a session (a torn one as undefined)', async () => {
    assert.deepEqual((await read()).map((e) => e?.event_id.slice(-1)), ['1', '2', undefined, '3', '4']);
  });
});
