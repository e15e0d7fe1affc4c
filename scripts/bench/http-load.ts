/**
 * A small keep-alive HTTP load generator for loopback benchmarks: sequential latency samples and
 * fixed-concurrency throughput, both bounded in count and time.
 */
import http from 'node:http';

export interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Body for request number i. */
  body(i: number): string;
  /** Throws when the response is not what a successful call looks like. */
  check(status: number, body: string): void;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function call(t: Target, i: number): Promise<void> {
  const body = t.body(i);
  return new Promise((resolve, reject) => {
    const req = http.request(t.url, {
      method: 'POST',
      agent,
      headers: { ...t.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
    });
    req.setNoDelay(true);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          t.check(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'));
          resolve();
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

/** Sequential calls (one in flight): per-call latency in milliseconds. */
export async function latency(t: Target, n: number, warmup: number, afterWarmup?: () => void): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await call(t, i);
  afterWarmup?.();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await call(t, i);
    samples.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { n, p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: samples.reduce((a, b) => a + b, 0) / n };
}

/** `concurrency` workers calling in a loop for `seconds` (and at most `maxCalls`): calls per second. */
export async function throughput(t: Target, concurrency: number, seconds: number, maxCalls: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; performance.now() < end && done < maxCalls; i += concurrency) {
        await call(t, i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}
