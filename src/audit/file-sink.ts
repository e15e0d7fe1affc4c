/**
 * The file sink: transcript events as JSON lines (the embedded default and air-gapped sites).
 * The active file is rotated when it reaches `max_bytes` or is `rotate_hours` old, to
 * `<name>.<UTC timestamp><ext>` beside it; rotated files older than `retain_days` are deleted.
 * A batch counts as accepted once it is written and fdatasync'ed.
 */
import { mkdirSync } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { eventJson, type TranscriptEvent } from './event.ts';
import { SinkError, type AuditSink } from './sink.ts';

export interface FileSinkOptions {
  readonly path: string;
  readonly maxBytes: number;
  /** 0 = rotate by size only. */
  readonly rotateHours: number;
  /** 0 = keep rotated files forever. */
  readonly retainDays: number;
  readonly now?: () => number;
}

const HOUR_MS = 3_600_000;

/**
 * Whether `name` (a file name in the active file's folder) is one this sink rotated from the
 * transcript at `activePath`: `<name>.<UTC timestamp>[-n]<ext>`. Retention, the review's reader
 * and the proxy benchmark all find rotated files by it.
 */
export function isRotatedTranscript(name: string, activePath: string): boolean {
  const ext = extname(activePath);
  const prefix = `${basename(activePath, ext)}.`;
  return name.startsWith(prefix) && name.endsWith(ext) && /^\d{4}-\d{2}-\d{2}T/.test(name.slice(prefix.length));
}

export class FileSink implements AuditSink {
  readonly name = 'file';
  readonly #o: FileSinkOptions;
  readonly #now: () => number;
  #fh: FileHandle | undefined;
  #size = 0;
  #openedAt = 0;

  constructor(options: FileSinkOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    mkdirSync(dirname(options.path), { recursive: true });
  }

  /** `transcripts.jsonl` -> prefix `transcripts.`, suffix `.jsonl`. */
  #parts(): { dir: string; prefix: string; ext: string } {
    const ext = extname(this.#o.path);
    return { dir: dirname(this.#o.path), prefix: `${basename(this.#o.path, ext)}.`, ext };
  }

  async #open(): Promise<FileHandle> {
    if (this.#fh !== undefined) return this.#fh;
    if (this.#openedAt === 0) await this.applyRetention().catch(() => undefined); // first open: old files from earlier runs
    this.#fh = await open(this.#o.path, 'a');
    const st = await this.#fh.stat();
    this.#size = st.size;
    // An existing file keeps its age across restarts (birth time where the file system has one).
    this.#openedAt = st.size > 0 ? Math.min(st.birthtimeMs || st.mtimeMs, st.mtimeMs) : this.#now();
    return this.#fh;
  }

  #due(incoming: number): boolean {
    if (this.#size === 0) return false;
    if (this.#size + incoming > this.#o.maxBytes) return true;
    return this.#o.rotateHours > 0 && this.#now() - this.#openedAt >= this.#o.rotateHours * HOUR_MS;
  }

  /** Moves the active file aside under a timestamped name and applies retention. */
  async rotate(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
    const { dir, prefix, ext } = this.#parts();
    const stamp = new Date(this.#now()).toISOString().replace(/[:.]/g, '-');
    let target = join(dir, `${prefix}${stamp}${ext}`);
    for (let n = 1; await exists(target); n++) target = join(dir, `${prefix}${stamp}-${n}${ext}`);
    try {
      await rename(this.#o.path, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await this.applyRetention();
  }

  /** Deletes rotated files last modified more than `retain_days` ago. */
  async applyRetention(): Promise<string[]> {
    if (this.#o.retainDays <= 0) return [];
    const { dir } = this.#parts();
    const cutoff = this.#now() - this.#o.retainDays * 24 * HOUR_MS;
    const removed: string[] = [];
    for (const name of await readdir(dir)) {
      if (!isRotatedTranscript(name, this.#o.path)) continue; // only files this sink rotated
      const file = join(dir, name);
      const st = await stat(file).catch(() => undefined);
      if (st !== undefined && st.mtimeMs < cutoff) {
        await unlink(file).catch(() => undefined);
        removed.push(name);
      }
    }
    return removed;
  }

  async write(events: readonly TranscriptEvent[]): Promise<void> {
    if (events.length === 0) return;
    const text = events.map((e) => `${eventJson(e)}\n`).join('');
    const bytes = Buffer.byteLength(text);
    try {
      await this.#open();
      if (this.#due(bytes)) await this.rotate();
      const fh = await this.#open();
      await fh.write(text);
      await fh.datasync();
      this.#size += bytes;
    } catch (err) {
      // A half-open handle is reopened on the next try.
      await this.#fh?.close().catch(() => undefined);
      this.#fh = undefined;
      throw new SinkError(this.name, `cannot write ${this.#o.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
