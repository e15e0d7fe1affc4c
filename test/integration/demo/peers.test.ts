import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { CallToolResult, TextResourceContents } from '@modelcontextprotocol/sdk/types.js';
import {
  EVERYTHING,
  connectClient,
  startEverything,
  type EverythingMode,
  type EverythingPeer,
  type PeerTransport,
} from '../../helpers/peers.ts';
import { pingRedis, startRedis } from '../../helpers/redis.ts';
import { canConnect } from '../../helpers/ports.ts';

const modes: Array<{ mode: EverythingMode; transport: PeerTransport; path: string }> = [
  { mode: 'streamableHttp', transport: 'streamable-http', path: '/mcp' },
  { mode: 'sse', transport: 'sse', path: '/sse' },
];

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

for (const { mode, transport, path } of modes) {
  describe(`test peer: server-everything in ${mode} mode`, () => {
    let peer: EverythingPeer;
    before(async () => {
      peer = await startEverything(mode);
    });
    after(async () => {
      await peer?.stop();
    });

    it(`listens on a free port and serves ${path}`, () => {
      assert.equal(new URL(peer.url).pathname, path);
      assert.notEqual(peer.port, 3001);
    });

    it('answers the SDK client: a tool call, a resource read and a prompt', async () => {
      const mcp = await connectClient(peer.url, transport);
      try {
        const echo = (await mcp.client.callTool({ name: EVERYTHING.echoTool, arguments: { message: 'hello' } })) as CallToolResult;
        assert.equal(text(echo), 'Echo: hello');
        const { contents } = await mcp.client.readResource({ uri: EVERYTHING.staticResource });
        assert.ok((contents[0] as TextResourceContents).text.length > 0);
        const prompt = await mcp.client.getPrompt({ name: EVERYTHING.argsPrompt, arguments: { city: 'Utrecht' } });
        const first = prompt.messages[0]?.content;
        assert.equal(first?.type === 'text' ? first.text : '', "What's weather in Utrecht?");
      } finally {
        await mcp.close();
      }
    });

    it('sends progress notifications from the long-running tool before its result', async () => {
      const mcp = await connectClient(peer.url, transport);
      try {
        const events: string[] = [];
        const result = (await mcp.client.callTool(
          { name: EVERYTHING.longRunningTool, arguments: { duration: 0.6, steps: 3 } },
          undefined,
          { onprogress: (p) => events.push(`progress ${p.progress}/${p.total}`), timeout: 10_000 },
        )) as CallToolResult;
        events.push('result');
        // The last progress may be lost to an SDK client race (see peers.ts); the first two may not.
        assert.deepEqual(events.slice(0, 2), ['progress 1/3', 'progress 2/3']);
        assert.equal(events.at(-1), 'result');
        assert.match(text(result), /Long running operation completed/);
      } finally {
        await mcp.close();
      }
    });

    it('sends an elicitation that the test client answers', async () => {
      const mcp = await connectClient(peer.url, transport, {
        elicit: () => ({ action: 'accept', content: { name: 'Grace Hopper' } }),
      });
      try {
        const result = (await mcp.client.callTool({ name: EVERYTHING.elicitationTool, arguments: {} })) as CallToolResult;
        assert.equal(mcp.elicitations.length, 1);
        assert.match(text(result), /- Name: Grace Hopper/);
      } finally {
        await mcp.close();
      }
    });
  });
}

describe('test peer: stopping server-everything', () => {
  it('kills the child process and frees its port', async () => {
    const peer = await startEverything('streamableHttp');
    assert.equal(await canConnect(peer.port), true);
    await peer.stop();
    assert.equal(await canConnect(peer.port), false);
  });
});

describe('test peer: redis-server', () => {
  it('starts a real Redis on a free port that stores and returns values', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    try {
      await client.connect();
      await client.set('regate:test', 'works');
      assert.equal(await client.get('regate:test'), 'works');
      assert.equal(await client.config('GET', 'appendonly').then((r) => (r as string[])[1]), 'no');
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('stops it: the port no longer answers PING', async () => {
    const redis = await startRedis();
    assert.equal(await pingRedis(redis.port), true);
    await redis.stop();
    assert.equal(await pingRedis(redis.port), false);
  });

  it('starts independent servers for independent tests', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    try {
      assert.notEqual(a.port, b.port);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
