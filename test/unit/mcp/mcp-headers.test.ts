import assert from 'node:assert/strict';
import type { JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import {
  checkClientMcpHeaders,
  classifyInbound,
  decodeHeaderValue,
  encodeHeaderValue,
  headerMismatchError,
  headerParamsFromToolsList,
  headerParamsOf,
  isComputedMcpHeader,
  upstreamMcpHeaders,
  type HeaderParam,
  type ToolHeaderParams,
} from '../../../src/mcp/mcp-headers.ts';
import { V2, captureTypicalV2Session, exchangesFor, resultOf, v2Handlers, type CapturedExchange } from '../../helpers/v2-peers.ts';

/**
 * The Mcp-* headers of MCP 2026-07-28: regate computes the ones it sends from the message it
 * forwards (and must compute exactly what the real v2 client sends), and refuses a client whose
 * headers disagree with its body (where the real v2 server refuses too: 400 / -32020).
 */
describe('MCP 2026-07-28 request headers', () => {
  let traffic: CapturedExchange[];
  let lookup: ToolHeaderParams;
  before(async () => {
    traffic = await captureTypicalV2Session();
    const learned = headerParamsFromToolsList(resultOf(exchangesFor(traffic, 'tools/list')[0]!));
    lookup = (name) => learned.get(name);
  });

  const mcpHeadersOf = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => isComputedMcpHeader(k)));
  const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

  describe('headers regate sends upstream', () => {
    it('are exactly the ones the real v2 client sent, for every request of a 2026-07-28 session', () => {
      const posts = traffic.filter((e) => e.httpMethod === 'POST');
      assert.ok(posts.some((e) => 'mcp-param-region' in e.headers), 'the session has an Mcp-Param header');
      for (const e of posts) {
        const computed = upstreamMcpHeaders(e.body as JSONRPCMessage, { era: '2026', protocolVersion: undefined, headerParams: lookup });
        assert.deepEqual(lower(computed), mcpHeadersOf(e.headers), `for ${JSON.stringify(e.body).slice(0, 120)}`);
      }
    });

    it('follow the forwarded message, not the client: a rewritten argument gets its own header', () => {
      const e = exchangesFor(traffic, 'tools/call', (p) => p.name === V2.headerTool)[0]!;
      const forwarded = structuredClone(e.body) as { params: { arguments: Record<string, unknown> } };
      forwarded.params.arguments.region = 'ap-south-1';
      const computed = upstreamMcpHeaders(forwarded as unknown as JSONRPCMessage, { era: '2026', protocolVersion: undefined, headerParams: lookup });
      assert.equal(computed['Mcp-Param-Region'], 'ap-south-1');
    });

    const others: ReadonlyArray<{ name: string; message: Record<string, unknown>; era: '2025' | '2026'; version?: string; expect: Record<string, string> }> = [
      { name: 'a 2025 request: only the negotiated version', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } }, era: '2025', version: '2025-06-18', expect: { 'MCP-Protocol-Version': '2025-06-18' } },
      { name: 'a 2025 initialize: nothing', message: { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }, era: '2025', expect: {} },
      { name: 'a 2026 notification: version and method', message: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }, era: '2026', version: '2026-07-28', expect: { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'notifications/cancelled' } },
      {
        name: 'a 2026 call of a tool regate has not listed: no Mcp-Param (the upstream asks the client to re-list)',
        message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'unlisted', arguments: { region: 'x' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } },
        era: '2026',
        expect: { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': 'unlisted' },
      },
      {
        name: 'a 2026 call with a null header argument: no header for it',
        message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: V2.headerTool, arguments: { region: null }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } },
        era: '2026',
        expect: { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call', 'Mcp-Name': V2.headerTool },
      },
    ];
    for (const c of others) {
      it(c.name, () => assert.deepEqual(upstreamMcpHeaders(c.message as JSONRPCMessage, { era: c.era, protocolVersion: c.version, headerParams: lookup }), c.expect));
    }
  });

  describe('x-mcp-header declarations', () => {
    it('are learned from a real tools/list', () => {
      assert.deepEqual(lookup(V2.headerTool), [{ path: ['region'], headerName: 'Region', type: 'string' }]);
      assert.deepEqual(lookup(V2.echoTool), []);
      assert.equal(lookup('unlisted'), undefined);
    });
    const schema = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ inputSchema: { type: 'object', properties, ...extra } });
    const cases: ReadonlyArray<{ name: string; tool: { inputSchema?: unknown }; params?: HeaderParam[]; invalid?: RegExp }> = [
      { name: 'no schema', tool: {}, params: [] },
      { name: 'a nested property', tool: schema({ target: { type: 'object', properties: { zone: { type: 'integer', 'x-mcp-header': 'Zone' } } } }), params: [{ path: ['target', 'zone'], headerName: 'Zone', type: 'integer' }] },
      { name: 'a boolean', tool: schema({ dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' } }), params: [{ path: ['dry'], headerName: 'Dry-Run', type: 'boolean' }] },
      { name: 'a number-typed property (not permitted)', tool: schema({ n: { type: 'number', 'x-mcp-header': 'N' } }), invalid: /string, integer or boolean/ },
      { name: 'an object-typed property', tool: schema({ o: { type: 'object', 'x-mcp-header': 'O' } }), invalid: /got object/ },
      { name: 'a header name that is not a token', tool: schema({ s: { type: 'string', 'x-mcp-header': 'Bad Name' } }), invalid: /RFC 9110 token/ },
      { name: 'two names differing only in case', tool: schema({ a: { type: 'string', 'x-mcp-header': 'Id' }, b: { type: 'string', 'x-mcp-header': 'ID' } }), invalid: /case-insensitively unique/ },
      { name: 'a declaration under items', tool: schema({ list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } }), invalid: /reachable/ },
      { name: 'a declaration under anyOf', tool: schema({}, { anyOf: [{ properties: { s: { type: 'string', 'x-mcp-header': 'S' } } }] }), invalid: /reachable/ },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.invalid ? 'invalid' : `${c.params?.length} header parameter(s)`}`, () => {
        const scan = headerParamsOf(c.tool);
        if (c.invalid) {
          assert.equal(scan.ok, false);
          assert.match(scan.ok ? '' : scan.reason, c.invalid);
        } else assert.deepEqual(scan, { ok: true, params: c.params });
      });
    }
  });

  describe('header values', () => {
    const values: ReadonlyArray<[string, string, string]> = [
      ['plain ASCII', 'eu-west-1', 'eu-west-1'],
      ['non-ASCII (as the real client encoded it)', 'zürich', '=?base64?esO8cmljaA==?='],
      ['empty', '', '=?base64??='],
      ['edge whitespace', ' a ', '=?base64?IGEg?='],
      ['a value that looks like the sentinel', '=?base64?x?=', '=?base64?PT9iYXNlNjQ/eD89?='],
      ['an inner tab', 'a\tb', 'a\tb'],
    ];
    for (const [name, value, encoded] of values) {
      it(`${name}: encodes and decodes back`, () => {
        assert.equal(encodeHeaderValue(value), encoded);
        assert.equal(decodeHeaderValue(encoded), value);
      });
    }
    it('the real client sent the non-ASCII region that way', () => {
      const e = exchangesFor(traffic, 'tools/call', (p) => (p.arguments as { region?: string } | undefined)?.region === 'zürich')[0]!;
      assert.equal(e.headers['mcp-param-region'], encodeHeaderValue('zürich'));
    });
    for (const bad of ['=?base64?not base64?=', '=?base64?/w==?=']) {
      it(`refuses to decode ${bad}`, () => assert.equal(decodeHeaderValue(bad), undefined));
    }
  });

  describe('client headers against the body (regate and the real v2 server refuse the same)', () => {
    const sdk = v2Handlers();
    after(() => Promise.all([sdk.dual.close(), sdk.modern.close()]));
    async function sdkAnswer(body: unknown, headers: Record<string, string>): Promise<{ status: number; code?: number }> {
      const res = await sdk.modern.fetch(
        new Request('http://127.0.0.1/mcp', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify(body),
        }),
      );
      const text = await res.text();
      const code = text.startsWith('{') ? (JSON.parse(text) as { error?: { code: number } }).error?.code : undefined;
      return { status: res.status, ...(code !== undefined && { code }) };
    }

    const pick = (method: string, name?: string) => () => {
      const e = exchangesFor(traffic, method, (p) => name === undefined || p.name === name)[0]!;
      return { body: structuredClone(e.body) as { params: Record<string, unknown> }, headers: { ...e.headers } };
    };
    type Req = { body: { params: Record<string, unknown> }; headers: Record<string, string> };
    const cases: ReadonlyArray<{ name: string; req: () => Req; refused?: { header: string; problem: string } }> = [
      { name: 'headers the real client sent', req: pick('tools/call', V2.headerTool) },
      {
        name: 'Mcp-Name: echo with params.name "regional-echo"',
        req: () => { const r = pick('tools/call', V2.headerTool)(); r.headers['mcp-name'] = 'echo'; return r; },
        refused: { header: 'Mcp-Name', problem: 'mismatch' },
      },
      {
        name: 'the reverse: Mcp-Name "regional-echo" with params.name "echo"',
        req: () => { const r = pick('tools/call', V2.echoTool)(); r.headers['mcp-name'] = V2.headerTool; return r; },
        refused: { header: 'Mcp-Name', problem: 'mismatch' },
      },
      { name: 'Mcp-Name Base64-encoded but equal', req: () => { const r = pick('tools/call', V2.echoTool)(); r.headers['mcp-name'] = '=?base64?ZWNobw==?='; return r; } },
      { name: 'Mcp-Name with a broken Base64 sentinel', req: () => { const r = pick('tools/call', V2.echoTool)(); r.headers['mcp-name'] = '=?base64?%%?='; return r; }, refused: { header: 'Mcp-Name', problem: 'invalid-encoding' } },
      { name: 'no Mcp-Name on a tools/call', req: () => { const r = pick('tools/call', V2.echoTool)(); delete r.headers['mcp-name']; return r; }, refused: { header: 'Mcp-Name', problem: 'missing' } },
      { name: 'Mcp-Method naming another method', req: () => { const r = pick('tools/call', V2.echoTool)(); r.headers['mcp-method'] = 'tools/list'; return r; }, refused: { header: 'Mcp-Method', problem: 'mismatch' } },
      { name: 'no Mcp-Method', req: () => { const r = pick('tools/list')(); delete r.headers['mcp-method']; return r; }, refused: { header: 'Mcp-Method', problem: 'missing' } },
      { name: 'no MCP-Protocol-Version', req: () => { const r = pick('tools/list')(); delete r.headers['mcp-protocol-version']; return r; }, refused: { header: 'MCP-Protocol-Version', problem: 'missing' } },
      { name: 'MCP-Protocol-Version naming another version than the envelope', req: () => { const r = pick('tools/list')(); r.headers['mcp-protocol-version'] = '2025-11-25'; return r; }, refused: { header: 'MCP-Protocol-Version', problem: 'mismatch' } },
      { name: 'Mcp-Param-Region naming another region', req: () => { const r = pick('tools/call', V2.headerTool)(); r.headers['mcp-param-region'] = 'us-east-1'; return r; }, refused: { header: 'Mcp-Param-Region', problem: 'mismatch' } },
      { name: 'no Mcp-Param-Region', req: () => { const r = pick('tools/call', V2.headerTool)(); delete r.headers['mcp-param-region']; return r; }, refused: { header: 'Mcp-Param-Region', problem: 'missing' } },
      { name: 'Mcp-Param-Region with a broken sentinel', req: () => { const r = pick('tools/call', V2.headerTool)(); r.headers['mcp-param-region'] = '=?base64?@?='; return r; }, refused: { header: 'Mcp-Param-Region', problem: 'invalid-encoding' } },
      { name: 'resources/read with Mcp-Name naming another URI', req: () => { const r = pick('resources/read')(); r.headers['mcp-name'] = 'test://v2/secret'; return r; }, refused: { header: 'Mcp-Name', problem: 'mismatch' } },
      { name: 'prompts/get with Mcp-Name naming another prompt', req: () => { const r = pick('prompts/get')(); r.headers['mcp-name'] = 'other'; return r; }, refused: { header: 'Mcp-Name', problem: 'mismatch' } },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.refused ? `refused naming ${c.refused.header}` : 'accepted'}`, async () => {
        const { body, headers } = c.req();
        const ours = checkClientMcpHeaders(body as unknown as JSONRPCMessage, headers, lookup);
        const theirs = await sdkAnswer(body, headers);
        if (c.refused === undefined) {
          assert.equal(ours, undefined);
          assert.equal(theirs.status, 200);
          return;
        }
        assert.equal(ours?.header, c.refused.header);
        assert.equal(ours?.problem, c.refused.problem);
        assert.deepEqual(theirs, { status: 400, code: -32020 });
        const err = headerMismatchError(ours!);
        assert.equal(err.code, 'REGATE_ERR_HEADER_MISMATCH');
        assert.equal(err.status, 400);
        assert.equal(err.rpc, -32020);
        assert.ok(err.message.includes(c.refused.header), err.message);
      });
    }

    it('compares integer parameters as numbers (42.0 is 42), strings as strings', () => {
      const params: ToolHeaderParams = () => [{ path: ['n'], headerName: 'N', type: 'integer' }];
      const msg = (n: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { n } } }) as JSONRPCMessage;
      const h = (v: string) => ({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 't', 'mcp-param-n': v });
      assert.equal(checkClientMcpHeaders(msg(42), h('42.0'), params), undefined);
      assert.equal(checkClientMcpHeaders(msg(42), h('43'), params)?.problem, 'mismatch');
      assert.equal(checkClientMcpHeaders(msg('42'), h('42.0'), params)?.problem, 'mismatch');
    });

    it('reads a repeated header as one joined value, which then disagrees', () => {
      const { body, headers } = pick('tools/call', V2.echoTool)();
      const bag = { ...headers, 'mcp-name': ['echo', 'delete_customer'] };
      assert.equal(checkClientMcpHeaders(body as unknown as JSONRPCMessage, bag, lookup)?.header, 'Mcp-Name');
    });
  });

  describe('classifyInbound (era, then headers, as the SDK server orders them)', () => {
    const call = () => exchangesFor(traffic, 'tools/call', (p) => p.name === V2.headerTool)[0]!;
    it('passes a real 2026 request and returns its era facts', () => {
      const e = call();
      assert.equal(classifyInbound({ httpMethod: 'POST', body: e.body, headers: e.headers, headerParams: lookup }).era, '2026');
    });
    it('refuses a forged Mcp-Param header with REGATE_ERR_HEADER_MISMATCH', () => {
      const e = call();
      assert.throws(() => classifyInbound({ httpMethod: 'POST', body: e.body, headers: { ...e.headers, 'mcp-param-region': 'us-east-1' }, headerParams: lookup }), {
        code: 'REGATE_ERR_HEADER_MISMATCH',
        rpc: -32020,
        status: 400,
      });
    });
    it('tells the era before refusing, so the refusal is recorded in the era the body speaks', () => {
      const e = call();
      const seen: string[] = [];
      assert.throws(() =>
        classifyInbound({ httpMethod: 'POST', body: e.body, headers: { ...e.headers, 'mcp-param-region': 'us-east-1' }, headerParams: lookup, onEra: (f) => seen.push(f.era) }),
      );
      assert.deepEqual(seen, ['2026']);
    });
    it('never checks 2025 messages: a 2025 request with a stray Mcp-Name passes (regate drops the header)', () => {
      const body = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: {} } };
      const facts = classifyInbound({ httpMethod: 'POST', body, headers: { 'mcp-protocol-version': '2025-06-18', 'mcp-name': 'delete_customer' }, headerParams: lookup });
      assert.equal(facts.era, '2025');
    });
  });

  const names: ReadonlyArray<[string, boolean]> = [
    ['MCP-Protocol-Version', true],
    ['mcp-method', true],
    ['Mcp-Name', true],
    ['Mcp-Param-Region', true],
    ['Mcp-Session-Id', false],
    ['Authorization', false],
  ];
  for (const [n, computed] of names) it(`${n} is ${computed ? '' : 'not '}computed by regate (never copied)`, () => assert.equal(isComputedMcpHeader(n), computed));
});
