/**
 * The embedded (no Redis) transcript buffer: events in memory, and every append and
 * acknowledgement also written to an append-only spill file before it counts.
 *
 * Guarantee: when `append` resolves, the events are in the spill file (written to the operating
 * system), so a killed or crashed regate process finds them again on its next start and delivers
 * them. With `fsync: true` each append is also flushed to the disk, which survives a power loss
 * at the cost of one fsync per client HTTP request (appends made while an fsync is in flight share
 * the next write and fsync). Without fsync the appends and acks of one turn
 * of the event loop are written together, synchronously when no other file operation is in flight:
 * a write of a few KB to the page cache costs a few microseconds, where the same write through the
 * thread pool cost ~40 us of CPU on the benchmark machine. One process owns the file: this buffer has a
 * single consumer (its own flusher).
 *
 * File lines: `{"t":ms,"a":[[id,event],...]}` for an append, `{"k":[id,...]}` for an ack. A torn
 * last line (crash mid-write) is ignored: its append never resolved. The file is rewritten with
 * only unacknowledged events on open and whenever acknowledged lines dominate it.
 */
import { mkdirSync, writeSync } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RegateError } from '../errors.ts';
import type { AuditBuffer, BufferedEvent, BufferStats } from './buffer.ts';
import { eventJson, type TranscriptEvent } from './event.ts';

export interface MemoryFileBufferOptions {
  readonly path: string;
  readonly maxEvents: number;
  readonly fsync: boolean;
  /** Rewrite the file once this many acknowledged events are in it (and they are the majority). */
  readonly compactAfter?: number;
}

interface Held {
  readonly event: TranscriptEvent;
  readonly at: number;
  delivered: boolean;
}

export class MemoryFileBuffer implements AuditBuffer {
  readonly #o: MemoryFileBufferOptions;
  readonly #held = new Map<number, Held>();
  #fh: FileHandle | undefined;
  #nextId = 1;
  #ackedInFile = 0;
  /** Serialises file writes (appends, acks, compaction) in call order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Operations queued and not finished; a synchronous write is only taken when none is. */
  #inFlight = 0;
  /** Lines waiting for the fsync'ed write after the one in flight (group commit). */
  #syncBatch: { readonly lines: string[]; readonly done: Promise<void> } | undefined;
  /** Lines of this turn of the event loop, written together (no fsync). */
  #batch: { readonly lines: string[]; readonly done: Promise<void> } | undefined;

  private constructor(options: MemoryFileBufferOptions) {
    this.#o = options;
  }

  /** Opens the spill file, reloading the events a previous process left unacknowledged. */
  static async open(options: MemoryFileBufferOptions): Promise<MemoryFileBuffer> {
    const b = new MemoryFileBuffer(options);
    mkdirSync(dirname(options.path), { recursive: true });
    await b.#replay();
    await b.#compact();
    return b;
  }

  async #replay(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#o.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let rec: { t?: number; a?: [number, TranscriptEvent][]; k?: number[] };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue; // torn last line: that append was never acknowledged to its caller
      }
      for (const [id, event] of rec.a ?? []) {
        this.#held.set(id, { event, at: rec.t ?? Date.now(), delivered: false });
        this.#nextId = Math.max(this.#nextId, id + 1);
      }
      for (const id of rec.k ?? []) this.#held.delete(id);
    }
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    const run = this.#queue.then(op, op).finally(() => this.#inFlight--);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes and fsyncs `line` together with the lines appended while the previous write was in
   * flight (one write and one fsync for all of them); resolves once its own line is on the disk.
   */
  #writeSynced(line: string): Promise<void> {
    let batch = this.#syncBatch;
    if (batch === undefined) {
      const lines: string[] = [];
      const done = this.#enqueue(() => {
        // From here on, new lines go to the next batch.
        this.#syncBatch = undefined;
        return this.#write(lines.join(''), true);
      });
      batch = this.#syncBatch = { lines, done };
    }
    batch.lines.push(line);
    return batch.done;
  }

  /**
   * Writes `line` with the other lines of this turn of the event loop in one write (concurrent
   * requests' appends and the acks share it), resolving when that write is done. Without fsync the
   * write is synchronous when no other operation is queued (so the file order stays the call order);
   * otherwise it is queued behind the operations in flight.
   */
  #writeLine(line: string, sync: boolean): Promise<void> {
    if (sync) return this.#writeSynced(line);
    let batch = this.#batch;
    if (batch === undefined) {
      const lines: string[] = [];
      const done = Promise.withResolvers<void>();
      batch = this.#batch = { lines, done: done.promise };
      setImmediate(() => {
        this.#batch = undefined;
        const text = lines.join('');
        if (this.#inFlight === 0 && this.#fh !== undefined) {
          try {
            writeAllSync(this.#fh.fd, Buffer.from(text, 'utf8'));
            done.resolve();
          } catch (err) {
            done.reject(err);
          }
        } else {
          this.#enqueue(() => this.#write(text, false)).then(done.resolve, done.reject);
        }
      });
    }
    batch.lines.push(line);
    return batch.done;
  }

  async #write(line: string, sync: boolean): Promise<void> {
    if (this.#fh === undefined) throw new Error('the spill file is closed');
    await this.#fh.write(line);
    if (sync) await this.#fh.sync();
  }

  /** Rewrites the spill file with only the unacknowledged events (write, fsync, rename). */
  async #compact(): Promise<void> {
    await this.#fh?.close();
    const tmp = `${this.#o.path}.tmp`;
    const fh = await open(tmp, 'w');
    const lines: string[] = [];
    for (const [id, h] of this.#held) lines.push(appendLine(h.at, [[id, h.event]]));
    await fh.write(lines.join(''));
    await fh.sync();
    await fh.close();
    await rename(tmp, this.#o.path);
    this.#fh = await open(this.#o.path, 'a');
    this.#ackedInFile = 0;
  }

  async append(events: readonly TranscriptEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.#held.size + events.length > this.#o.maxEvents) {
      throw new RegateError('REGATE_ERR_AUDIT_BUFFER', `${this.#held.size} events wait for delivery (limit ${this.#o.maxEvents})`);
    }
    const at = Date.now();
    const batch = events.map((e): [number, TranscriptEvent] => [this.#nextId++, e]);
    try {
      await this.#writeLine(appendLine(at, batch), this.#o.fsync);
    } catch (err) {
      throw new RegateError('REGATE_ERR_AUDIT_BUFFER', `spill file: ${(err as Error).message}`, { cause: err });
    }
    for (const [id, event] of batch) this.#held.set(id, { event, at, delivered: false });
  }

  async read(max: number): Promise<BufferedEvent[]> {
    const out: BufferedEvent[] = [];
    for (const [id, h] of this.#held) {
      if (out.length >= max) break;
      if (h.delivered) continue;
      h.delivered = true;
      out.push({ id: String(id), event: h.event });
    }
    return out;
  }

  async ack(ids: readonly string[]): Promise<void> {
    const nums = ids.map(Number).filter((id) => this.#held.delete(id));
    if (nums.length === 0) return;
    await this.#writeLine(`${JSON.stringify({ k: nums })}\n`, false);
    this.#ackedInFile += nums.length;
    const threshold = this.#o.compactAfter ?? 10_000;
    if (this.#ackedInFile >= threshold && this.#ackedInFile > this.#held.size) {
      this.#ackedInFile = 0; // one compaction per threshold, even while it is queued
      await this.#enqueue(() => this.#compact());
    }
  }

  /** One consumer only: nobody else could claim these events. */
  async touch(): Promise<void> {}

  async stats(): Promise<BufferStats> {
    let pending = 0;
    let oldest: number | undefined;
    for (const h of this.#held.values()) {
      if (h.delivered) pending++;
      oldest ??= h.at; // insertion order: the first one is the oldest
    }
    const size = this.#held.size;
    return { size, pending, lag: size - pending, oldestUnackedAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest) };
  }

  async close(): Promise<void> {
    await this.#enqueue(async () => {
      await this.#fh?.close();
      this.#fh = undefined;
    });
  }
}

/** The line `{"t":ms,"a":[[id,event],...]}` built from each event's JSON (computed once per event). */
function appendLine(at: number, batch: readonly (readonly [number, TranscriptEvent])[]): string {
  return `{"t":${at},"a":[${batch.map(([id, e]) => `[${id},${eventJson(e)}]`).join(',')}]}\n`;
}

/** Writes all of `buf` to `fd` (a short write, e.g. on a nearly full disk, is continued, or throws). */
function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
