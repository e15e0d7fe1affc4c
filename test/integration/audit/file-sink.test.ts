import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from '../../../src/audit/file-sink.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';

const DAY = 86_400_000;

describe('the file sink (JSON lines, rotation, retention)', () => {
  const dirOf = () => mkdtempSync(join(tmpdir(), 'regate-fsink-'));

  it('writes one JSON line per event', async () => {
    const dir = dirOf();
    const sink = new FileSink({ path: join(dir, 'transcripts.jsonl'), maxBytes: 1e9, rotateHours: 0, retainDays: 0 });
    const events = sampleEvents(5);
    await sink.write(events);
    await sink.close();
    const lines = readFileSync(join(dir, 'transcripts.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), events);
  });

  it('rotates by size: no file grows past max_bytes, and no event is lost or split', async () => {
    const dir = dirOf();
    const sink = new FileSink({ path: join(dir, 'transcripts.jsonl'), maxBytes: 4000, rotateHours: 0, retainDays: 0 });
    const events = sampleEvents(60);
    for (let i = 0; i < 60; i += 3) await sink.write(events.slice(i, i + 3));
    await sink.close();
    const files = readdirSync(dir).sort();
    assert.ok(files.length > 3);
    assert.ok(files.every((f) => /^transcripts\.(\d{4}-\d{2}-\d{2}T[\d-]+Z(-\d+)?\.)?jsonl$/.test(f)), files.join(','));
    const all = files.flatMap((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      assert.ok(Buffer.byteLength(text) <= 4000, `${f} is ${Buffer.byteLength(text)} bytes`);
      return text.trim().split('\n').map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    });
    assert.deepEqual(new Set(all), new Set(events.map((e) => e.event_id)));
  });

  it('rotates by time: a file older than rotate_hours is moved aside before the next write', async () => {
    const dir = dirOf();
    let now = Date.parse('2026-11-30T00:00:00Z');
    const sink = new FileSink({ path: join(dir, 't.jsonl'), maxBytes: 1e9, rotateHours: 24, retainDays: 0, now: () => now });
    await sink.write(sampleEvents(1));
    now += 23 * 3_600_000;
    await sink.write(sampleEvents(1));
    assert.deepEqual(readdirSync(dir), ['t.jsonl']);
    now += 2 * 3_600_000;
    await sink.write(sampleEvents(1));
    await sink.close();
    assert.deepEqual(readdirSync(dir).sort(), ['t.2026-12-01T01-00-00-000Z.jsonl', 't.jsonl']);
    assert.equal(readFileSync(join(dir, 't.jsonl'), 'utf8').trim().split('\n').length, 1);
  });

  it('deletes rotated files older than retain_days, and nothing else', async () => {
    const dir = dirOf();
    const now = Date.now();
    const old = join(dir, 't.2026-01-01T00-00-00-000Z.jsonl');
    const recent = join(dir, 't.2026-11-29T00-00-00-000Z.jsonl');
    const unrelated = join(dir, 't.notes.jsonl');
    for (const f of [old, recent, unrelated]) writeFileSync(f, '{}\n');
    for (const f of [old, unrelated]) utimesSync(f, new Date(now - 40 * DAY), new Date(now - 40 * DAY));
    utimesSync(recent, new Date(now - 2 * DAY), new Date(now - 2 * DAY));
    const sink = new FileSink({ path: join(dir, 't.jsonl'), maxBytes: 1e9, rotateHours: 0, retainDays: 30 });
    assert.deepEqual(await sink.applyRetention(), ['t.2026-01-01T00-00-00-000Z.jsonl']);
    assert.deepEqual(readdirSync(dir).sort(), ['t.2026-11-29T00-00-00-000Z.jsonl', 't.notes.jsonl']);
  });
});
