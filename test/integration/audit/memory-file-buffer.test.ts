import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryFileBuffer } from '../../../src/audit/memory-file-buffer.ts';
import { RegateError } from '../../../src/errors.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';
import { spawnPeer } from '../../helpers/peers.ts';
import { waitUntil } from '../../helpers/ports.ts';

describe('the embedded buffer (memory + append-only spill file)', () => {
  const open: MemoryFileBuffer[] = [];
  const make = async (path: string, maxEvents = 1000, compactAfter?: number) => {
    const b = await MemoryFileBuffer.open({ path, maxEvents, fsync: false, ...(compactAfter !== undefined ? { compactAfter } : {}) });
    open.push(b);
    return b;
  };
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
  });
  const spill = () => join(mkdtempSync(join(tmpdir(), 'regate-spill-')), 'buffer.jsonl');

  it('gives back, after a crash (a new instance on the same file), every appended event not yet acknowledged', async () => {
    const path = spill();
    const first = await make(path);
    const events = sampleEvents(30);
    await first.append(events.slice(0, 10));
    await first.append(events.slice(10));
    const read = await first.read(12);
    await first.ack(read.slice(0, 12).map((r) => r.id));
    // No close: the process "dies" here; everything it acknowledged to its callers is in the file.
    const second = await make(path);
    const again = await second.read(100);
    assert.deepEqual(again.map((r) => r.event), events.slice(12));
    assert.deepEqual(await second.stats().then((s) => [s.size, s.pending, s.lag]), [18, 18, 0]);
  });

  it('keeps concurrent appends (written together) as one line each and gives every one back after a crash, with and without fsync', async () => {
    for (const fsync of [false, true]) {
      const path = spill();
      const first = await MemoryFileBuffer.open({ path, maxEvents: 1000, fsync });
      open.push(first);
      const events = sampleEvents(40);
      // 20 appends of 2 events in one turn, as concurrent requests make them.
      await Promise.all(Array.from({ length: 20 }, (_, i) => first.append(events.slice(2 * i, 2 * i + 2))));
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      // Written together, each append is still its own whole line (a torn write loses only the last).
      assert.equal(lines.length, 20, `fsync ${fsync}`);
      for (const line of lines) assert.equal((JSON.parse(line) as { a: unknown[] }).a.length, 2);
      const second = await make(path);
      const back = await second.read(100);
      assert.deepEqual(back.map((b) => b.event.event_id).sort(), events.map((e) => e.event_id).sort(), `fsync ${fsync}`);
    }
  });

  it('ignores a torn last line (an append that never returned)', async () => {
    const path = spill();
    const b = await make(path);
    await b.append(sampleEvents(2));
    appendFileSync(path, '{"t":1,"a":[[99,{"event_id":"x"');
    const reopened = await make(path);
    assert.equal((await reopened.read(10)).length, 2);
  });

  it('refuses an append it cannot hold with REGATE_ERR_AUDIT_BUFFER', async () => {
    const b = await make(spill(), 5);
    await b.append(sampleEvents(4));
    await assert.rejects(b.append(sampleEvents(2)), (err: unknown) => err instanceof RegateError && err.code === 'REGATE_ERR_AUDIT_BUFFER' && err.status === 503);
  });

  it('rewrites the file with only unacknowledged events once acknowledged ones dominate it', async () => {
    const path = spill();
    const b = await make(path, 1000, 50);
    await b.append(sampleEvents(100));
    await b.ack((await b.read(90)).map((r) => r.id));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 10);
    assert.equal((await b.stats()).size, 10);
  });

  it('reports size, pending, lag and the age of the oldest unacknowledged event', async () => {
    const b = await make(spill());
    assert.deepEqual(await b.stats(), { size: 0, pending: 0, lag: 0, oldestUnackedAgeMs: 0 });
    await b.append(sampleEvents(5));
    await b.read(2);
    const s = await b.stats();
    assert.deepEqual([s.size, s.pending, s.lag], [5, 2, 3]);
    assert.ok(s.oldestUnackedAgeMs >= 0);
  });

  it('keeps every event acknowledged to its caller when the process is killed with SIGKILL mid-append', async function () {
    this.timeout(30_000);
    const path = spill();
    const child = fileURLToPath(new URL('./embedded-crash-child.ts', import.meta.url));
    const peer = spawnPeer(process.execPath, [child], { ...process.env, SPILL: path });
    await waitUntil('child appended a few hundred batches', async () => peer.output().split('\n').length > 300, { timeoutMs: 20_000, abort: peer.exited });
    peer.child.kill('SIGKILL');
    await waitUntil('child gone', async () => peer.exited() !== undefined);
    // Only whole lines count: "A" = append resolved, "R" = read for an ack that may have landed, "K" = ack landed.
    const lines = peer.output().split('\n').slice(0, -1).map((l) => [l.slice(0, 1), l.slice(2).split(' ')] as const);
    const ids = (tag: string) => new Set(lines.filter(([t]) => t === tag).flatMap(([, v]) => v));
    const [appended, maybeAcked, acked] = [ids('A'), ids('R'), ids('K')];
    const reopened = await make(path);
    const held = new Set((await reopened.read(1_000_000)).map((r) => r.event.event_id));
    assert.deepEqual([...appended].filter((id) => !maybeAcked.has(id) && !held.has(id)), [], 'every acknowledged append not yet delivered is back');
    assert.deepEqual([...acked].filter((id) => held.has(id)), [], 'delivered events stay delivered');
    assert.ok(held.size > 0);
  });
});
