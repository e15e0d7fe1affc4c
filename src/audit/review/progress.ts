/**
 * A progress bar on stderr when it is a terminal, nothing otherwise (CI logs, pipes), redrawn at
 * most ten times a second.
 */
export interface Progress {
  /** `done` of `total` units (bytes or time windows), `events` read so far. */
  update(done: number, total: number, events: number): void;
  finish(): void;
}

const WIDTH = 30;

/** A progress bar on `stream` when it is a TTY, else a no-op. */
export function createProgress(stream: { isTTY?: boolean; write(s: string): unknown } | undefined, label: string, now: () => number = Date.now): Progress {
  if (stream?.isTTY !== true) return { update() {}, finish() {} };
  let last = 0;
  let drawn = false;
  return {
    update(done, total, events) {
      const t = now();
      if (t - last < 100) return;
      last = t;
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(ratio * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${events.toLocaleString('en-US')} events`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
