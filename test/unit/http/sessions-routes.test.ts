import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { sessionsRoutes } from '../../../src/http/sessions-routes.ts';
import type { PolicyInput } from '../../../src/policy/input.ts';
import type { PolicyDecision } from '../../../src/policy/decision.ts';

describe('GET /sessions/{id} asks policy with the resolved client address', () => {
  it('passes the address the trusted-proxy resolver gives, not the socket\'s', async () => {
    const seen: PolicyInput[] = [];
    const app = express();
    app.use(
      sessionsRoutes({
        decide: (input) => {
          seen.push(input);
          return { allow: false, outcome: 'deny', rule: 'test.refused', reason: 'no' } as unknown as PolicyDecision;
        },
        read: async () => undefined,
        authenticate: (_req, _res, next) => next(),
        clientAddress: () => '203.0.113.9',
      }),
    );
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sessions/s-1`);
      assert.equal(res.status, 403);
      assert.equal(seen[0]?.http?.remote_addr, '203.0.113.9');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
