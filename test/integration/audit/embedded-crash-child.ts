/**
 * Child process for the embedded-buffer crash spec: appends batches to a MemoryFileBuffer as fast
 * as it can and prints the event ids of each batch once its append resolved (acknowledged to the
 * caller), and of the events it acknowledges as delivered. The parent kills it with SIGKILL mid-run.
 */
import { MemoryFileBuffer } from '../../../src/audit/memory-file-buffer.ts';
import { sampleEvents } from '../../helpers/audit-events.ts';

const buffer = await MemoryFileBuffer.open({ path: process.env['SPILL'] ?? '', maxEvents: 1_000_000, fsync: false });
for (let i = 0; i < 100_000; i++) {
  const batch = sampleEvents(5);
  await buffer.append(batch);
  process.stdout.write(`A ${batch.map((e) => e.event_id).join(' ')}\n`);
  // Acknowledge some, as a flusher would, so the file holds both kinds of lines: "R" before the
  // ack is written (it may or may not land), "K" once it did.
  if (i % 3 === 0) {
    const read = await buffer.read(5);
    const ids = read.map((r) => r.event.event_id).join(' ');
    process.stdout.write(`R ${ids}\n`);
    await buffer.ack(read.map((r) => r.id));
    process.stdout.write(`K ${ids}\n`);
  }
}
