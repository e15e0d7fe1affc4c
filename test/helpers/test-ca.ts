/**
 * A throwaway certificate authority and a localhost server certificate, made with the openssl CLI,
 * so local HTTPS fakes (issuer, Graph) look like the real thing. Two ways to trust the CA:
 * - in-process: `fetchTrusting(ca.caPem)`, a fetch that trusts only this CA, injected where the
 *   code under test takes a `fetch` (production passes none and uses the global fetch);
 * - in a child process: `NODE_EXTRA_CA_CERTS=<ca.caFile>` (read once, at process start).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FetchLike } from '../../src/identity/http.ts';

const run = promisify(execFile);

export interface TestCa {
  readonly dir: string;
  /** PEM of the CA certificate; also at `caFile`. */
  readonly caPem: string;
  readonly caFile: string;
  /** Server key and certificate for `localhost` and `127.0.0.1`. */
  readonly keyPem: string;
  readonly certPem: string;
}

let made: Promise<TestCa> | undefined;

/** The process's test CA (made once, removed at exit). */
export function testCa(): Promise<TestCa> {
  made ??= makeTestCa();
  return made;
}

async function makeTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'regate-test-ca-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2',
    '-subj', '/CN=regate throwaway test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(
    f('server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  await run('openssl', [
    'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext'),
  ]);
  return {
    dir,
    caPem: readFileSync(f('ca.crt'), 'utf8'),
    caFile: f('ca.crt'),
    keyPem: readFileSync(f('server.key'), 'utf8'),
    certPem: readFileSync(f('server.crt'), 'utf8'),
  };
}

/**
 * A fetch over node:https that trusts exactly `caPem` (not the public CAs), returning a standard
 * Response. Enough of fetch for JWKS, discovery and Graph calls: no redirects are followed.
 */
export function fetchTrusting(caPem: string): FetchLike {
  const agent = new https.Agent({ ca: caPem, keepAlive: false });
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new TypeError(`fetchTrusting is https only: ${url}`));
        return;
      }
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = https.request(
        target,
        { method: init.method ?? 'GET', headers, agent, ...(init.signal ? { signal: init.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) for (const one of [v].flat()) out.append(k, one);
            }
            resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: out }));
          });
        },
      );
      req.on('error', reject);
      if (typeof init.body === 'string') req.write(init.body);
      req.end();
    });
}
