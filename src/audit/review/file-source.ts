/**
 * Reads the file sink's transcripts, rotated files included, one line at a time: a month of
 * events is streamed, never loaded. Rotated files (`<name>.<UTC timestamp><ext>`) come first in
 * the order they were rotated, then the active file; a rotated file last written before the
 * review's start is skipped without being opened.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TranscriptEvent } from '../event.ts';
import type { TimeRange } from './time-range.ts';
import { isRotatedTranscript } from '../file-sink.ts';

export interface TranscriptFile {
  readonly path: string;
  readonly bytes: number;
}

/** The transcript files of the sink at `activePath` that may hold events of `range`, oldest first. */
export async function transcriptFiles(activePath: string, range: TimeRange): Promise<TranscriptFile[]> {
  const dir = dirname(activePath);
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const rotated = names.filter((n) => isRotatedTranscript(n, activePath)).sort();
  const out: TranscriptFile[] = [];
  for (const path of [...rotated.map((n) => join(dir, n)), activePath]) {
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) continue;
    // Its last write is before the range: every event in it is too.
    if (path !== activePath && st.mtimeMs < range.sinceMs) continue;
    out.push({ path, bytes: st.size });
  }
  return out;
}

/** A line that is not a transcript event (torn write, foreign text) comes back as `undefined`. */
export function parseEventLine(line: string): TranscriptEvent | undefined {
  if (line.length === 0) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return looksLikeEvent(v) ? v : undefined;
}

/**
 * The minimal shape the review relies on. Checking the full schema per event would dominate the
 * time of a review of millions of events; the builders wrote these, and the fields read are checked here.
 */
export function looksLikeEvent(v: unknown): v is TranscriptEvent {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o['event_id'] === 'string' && typeof o['time'] === 'string' && typeof o['kind'] === 'string' && typeof o['connection'] === 'string';
}

export interface ReadProgress {
  /** Bytes read so far across all files. */
  (bytes: number): void;
}

/**
 * Every line of the files as an event (`undefined` for a line that is not one), streamed. With
 * `sessionId` (replay, `GET /sessions/{id}`), only lines that hold the session id as the file sink
 * writes it (`"session_id":"<id>"`, JSON-escaped) are parsed: the others cannot be its events, and
 * parsing a month of every session's lines was the whole cost of one session's timeline.
 */
export async function* readTranscriptFiles(files: readonly TranscriptFile[], onBytes?: ReadProgress, sessionId?: string): AsyncGenerator<TranscriptEvent | undefined> {
  const needle = sessionId === undefined ? undefined : `"session_id":${JSON.stringify(sessionId)}`;
  let done = 0;
  for (const f of files) {
    const stream = createReadStream(f.path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let bytes = 0;
    let n = 0;
    try {
      for await (const line of lines) {
        // line.length undercounts multi-byte text slightly: good enough for a progress bar.
        bytes += line.length + 1;
        if (needle === undefined || line.includes(needle)) yield parseEventLine(line);
        if (onBytes !== undefined && ++n % 4096 === 0) onBytes(done + bytes);
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    done += f.bytes;
    onBytes?.(done);
  }
}
