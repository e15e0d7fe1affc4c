/**
 * What a benchmark's regate recorded: the `tools/call` request events in its file sink's
 * transcript, the active file and the ones the sink rotated beside it
 * (`<name>.<UTC timestamp>[-n]<ext>`, src/audit/file-sink.ts). The proxy benchmark compares the
 * count with the calls it checked, so a run whose recording silently lost calls fails.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isRotatedTranscript } from '../../src/audit/file-sink.ts';
import { createInterface } from 'node:readline';

/** Whether one transcript line is the request event of a `tools/call`. */
export function isRecordedCall(line: string): boolean {
  // Events are written by JSON.stringify: a line without this text is no request event, and only
  // those with it are parsed (the text could also sit inside recorded arguments or content).
  if (!line.includes('"kind":"request"')) return false;
  const e = JSON.parse(line) as { kind?: unknown; method?: unknown };
  return e.kind === 'request' && e.method === 'tools/call';
}

/** Whether `name` is the active transcript file `active` or one the file sink rotated from it. */
export function isTranscriptFile(name: string, active: string): boolean {
  return name === active || isRotatedTranscript(name, active);
}

/** The `tools/call` request events recorded in the transcript at `path` and its rotated files (0 when there are none). */
export async function countRecordedCalls(path: string): Promise<number> {
  const dir = dirname(path);
  const names = (await readdir(dir)).filter((n) => isTranscriptFile(n, basename(path)));
  let n = 0;
  for (const name of names) {
    for await (const line of createInterface({ input: createReadStream(join(dir, name), { encoding: 'utf8', highWaterMark: 256 * 1024 }), crlfDelay: Infinity })) {
      if (isRecordedCall(line)) n++;
    }
  }
  return n;
}
