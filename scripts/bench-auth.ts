/**
 * Benchmarks the authentication step (`authenticate(headers, url)`), as the proxy calls it per
 * request: p50/p99 for a cached token (the common case: an agent reuses its token) and for a
 * first-seen token (signature check + claim mapping; the JWKS is already cached, as it is after
 * the first request). Runs an Entra-shaped local HTTPS issuer; loops are bounded.
 *
 *   npx node scripts/bench-auth.ts            # prints and writes docs/benchmarks-auth.md
 *   npx node scripts/bench-auth.ts --no-write
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { authConfigSchema } from '../src/identity/config.ts';
import { createIdentity } from '../src/identity/create.ts';
import { TestIssuer } from '../test/helpers/issuer.ts';
import { fetchTrusting, testCa } from '../test/helpers/test-ca.ts';
import { API_CLIENT_ID, TENANT, v2UserClaims } from '../test/integration/identity/entra-fixtures.ts';
import { quantile } from './bench/stats.ts';

const CACHED_ITERATIONS = 50_000;
const FIRST_SEEN_ITERATIONS = 2_000;
const WARMUP = 500;

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Nearest-rank quantiles and the mean, in microseconds, of samples in nanoseconds. */
function stats(samplesNs: number[]): Stats {
  const us = samplesNs.map((ns) => ns / 1000);
  return { n: us.length, p50: quantile(us, 0.5), p90: quantile(us, 0.9), p99: quantile(us, 0.99), mean: us.reduce((a, b) => a + b, 0) / us.length };
}

const ca = await testCa();
const issuer = await TestIssuer.start({ ca });
const identity = await createIdentity(
  authConfigSchema.parse({
    provider: 'entra',
    tenant_id: TENANT,
    audience: [API_CLIENT_ID],
    identity_metadata: issuer.entraMetadataUrl(TENANT),
    groups_overage: { enabled: false },
    token_cache: { max_entries: 10_000 },
  }),
  { publicBaseUrl: 'https://regate.example', fetch: fetchTrusting(ca.caPem), logger: { warn: () => undefined } },
);
const url = '/mcp/crm';
const headersFor = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

// Cached token.
const cachedHeaders = headersFor(await issuer.sign(v2UserClaims()));
await identity.authenticate(cachedHeaders, url); // first call: discovery + JWKS + verify
for (let i = 0; i < WARMUP; i++) await identity.authenticate(cachedHeaders, url);
const cachedNs: number[] = [];
for (let i = 0; i < CACHED_ITERATIONS; i++) {
  const t0 = process.hrtime.bigint();
  await identity.authenticate(cachedHeaders, url);
  cachedNs.push(Number(process.hrtime.bigint() - t0));
}

// First-seen tokens: distinct tokens signed up front, so only validation is timed.
const fresh: Array<Record<string, string>> = [];
for (let i = 0; i < FIRST_SEEN_ITERATIONS + WARMUP; i++) fresh.push(headersFor(await issuer.sign(v2UserClaims({ uti: `bench-${i}` }))));
for (let i = 0; i < WARMUP; i++) await identity.authenticate(fresh[i] as Record<string, string>, url);
const firstNs: number[] = [];
for (let i = WARMUP; i < fresh.length; i++) {
  const t0 = process.hrtime.bigint();
  await identity.authenticate(fresh[i] as Record<string, string>, url);
  firstNs.push(Number(process.hrtime.bigint() - t0));
}
await issuer.close();

const cached = stats(cachedNs);
const first = stats(firstNs);
const fmt = (s: Stats) => `| ${s.n} | ${s.p50.toFixed(1)} | ${s.p90.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.mean.toFixed(1)} |`;
const cpus = os.cpus();
const report = `# Authentication benchmark

\`npx node scripts/bench-auth.ts\` measures \`authenticate(headers, url)\` (bearer extraction,
validated-token cache lookup by SHA-256, and on a miss: RS256 signature check with jose, Entra
issuer/tenant/audience/expiry checks, claims -> Principal). The JWKS is fetched once from a local
HTTPS issuer before timing; Graph is not involved (no groups overage).

Machine: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${os.platform()} ${os.release()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.

| case | samples | p50 (us) | p90 (us) | p99 (us) | mean (us) |
|---|---:|---:|---:|---:|---:|
${fmt(cached).replace('|', '| cached token |')}
${fmt(first).replace('|', '| first-seen token (RS256 verify) |')}

Target: a cached token adds under 50 us at p50: **${cached.p50 < 50 ? 'met' : 'NOT met'}** (${cached.p50.toFixed(1)} us).

Notes: the first request for a new issuer also pays discovery and the JWKS fetch (one HTTPS
round trip each), and a groups-overage token pays one Graph call per user per \`cache_seconds\`;
neither is in these figures. Timings are wall-clock per awaited call on an otherwise idle machine,
so p99 includes event-loop and GC noise.
`;
process.stdout.write(report);
if (!process.argv.includes('--no-write')) writeFileSync(new URL('../docs/benchmarks-auth.md', import.meta.url), report);
