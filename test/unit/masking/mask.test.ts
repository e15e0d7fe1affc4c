import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCustomers } from '../../../src/demo/customers.ts';
import { RegateError } from '../../../src/errors.ts';
import {
  assertMaskable,
  compileMaskPlan,
  createMaskPlanner,
  customDetectorsFromData,
  maskAllPlan,
  maskMessage,
  maskValue,
  type MaskPlan,
} from '../../../src/masking/index.ts';
import type { MaskObligation } from '../../../src/policy/decision.ts';

const hashKey = 'unit-test-hash-key-0123456789';
const CARD = '4111 1111 1111 1111';
const all = maskAllPlan({ hashKey });
const plan = (mask: MaskObligation[], extra: Partial<Parameters<typeof compileMaskPlan>[1]> = {}): MaskPlan =>
  compileMaskPlan(mask, { hashKey, ...extra });
const response = (result: unknown) => ({ jsonrpc: '2.0', id: 7, result });
const textResult = (text: string) => response({ content: [{ type: 'text', text }] });
const textOf = (message: unknown): string => (message as { result: { content: { text: string }[] } }).result.content[0]!.text;

/** The message serialized and parsed back: masked output must stay JSON. */
const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('maskMessage', () => {
  describe('the bypass corpus: each value is masked however it is written or wherever it sits', () => {
    const cases: [name: string, text: string, detector: string][] = [
      ['spaces', `card ${CARD}`, 'credit_card'],
      ['mixed separators', 'card 4111-1111 1111.1111', 'credit_card'],
      ['non-breaking spaces and en dashes', 'card 4111\u00a01111\u20131111\u20131111', 'credit_card'],
      ['zero-width characters between digits', 'card 4111\u200b1111\u200b1111\u200b1111', 'credit_card'],
      ['full-width digits', 'カード番号４１１１１１１１１１１１１１１１です', 'credit_card'],
      ['Arabic-Indic digits', 'card ٤١١١١١١١١١١١١١١١', 'credit_card'],
      ['Devanagari digits', 'card ४१११ ११११ ११११ ११११', 'credit_card'],
      ['mathematical bold digits (surrogate pairs)', 'card 𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏', 'credit_card'],
      ['full-width email', 'ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'email'],
      ['JSON \\u escapes left in text that does not parse', 'card: "\\u0034\\u0031\\u0031\\u0031111111111111" (truncated', 'credit_card'],
    ];
    for (const [name, text, detector] of cases) {
      it(name, () => {
        const r = maskMessage(all, textResult(text));
        assert.equal(r.masked[detector], 1, JSON.stringify(r.masked));
        const out = textOf(r.message);
        assert.match(out, new RegExp(`\\[REDACTED:${detector}\\]`));
        assert.doesNotMatch(out, /[0-9٠-٩०-९０-９]{4}|𝟏/u);
        assert.equal(out.isWellFormed(), true);
      });
    }

    it('values written with \\u escapes inside embedded JSON text', () => {
      const text = '{"card":"\\u0034\\u0031\\u0031\\u0031 1111 1111 1111","mail":"ada\\u0040example.com"}';
      const r = maskMessage(all, textResult(text));
      assert.deepEqual(JSON.parse(textOf(r.message)), { card: '[REDACTED:credit_card]', mail: '[REDACTED:email]' });
    });

    it('JSON inside a text item inside JSON (two levels)', () => {
      const inner = JSON.stringify({ card: '\u0034111111111111111', note: 'ok' });
      const text = JSON.stringify({ rows: [{ payload: inner }] });
      const r = maskMessage(plan([{ detector: 'credit_card', style: 'redact' }]), textResult(text));
      const outer = JSON.parse(textOf(r.message)) as { rows: { payload: string }[] };
      assert.deepEqual(JSON.parse(outer.rows[0]!.payload), { card: '[REDACTED:credit_card]', note: 'ok' });
    });

    it('re-serialized embedded JSON keeps numbers as written, and scans long ones', () => {
      const text = '{"order":12345678901234567890,"price":1.50,"rate":1e3,"pan":4512345678901234564,"mail":"ada@example.com"}';
      const r = maskMessage(all, textResult(text));
      assert.equal(textOf(r.message), '{"order":12345678901234567890,"price":1.50,"rate":1e3,"pan":"[REDACTED:credit_card]","mail":"[REDACTED:email]"}');
    });

    it('values in object keys', () => {
      const r = maskMessage(all, response({ structuredContent: { 'ada@example.com': { [CARD]: true } } }));
      assert.deepEqual((r.message as { result: unknown }).result, { structuredContent: { '[REDACTED:email]': { '[REDACTED:credit_card]': true } } });
    });

    it('two keys masked to the same text both survive', () => {
      const r = maskMessage(all, response({ 'a@example.com': 1, 'b@example.com': 2 }));
      assert.deepEqual((r.message as { result: unknown }).result, { '[REDACTED:email]': 1, '[REDACTED:email]#2': 2 });
    });

    it('values in _meta, in params of server -> client requests and in error data', () => {
      const req = { jsonrpc: '2.0', id: 3, method: 'elicitation/create', params: { message: `confirm ${CARD}`, _meta: { owner: 'ada@example.com' } } };
      const r1 = maskMessage(all, req);
      assert.deepEqual((r1.message as typeof req).params, { message: 'confirm [REDACTED:credit_card]', _meta: { owner: '[REDACTED:email]' } });
      const note = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: { ssn: '219-09-9999' } } };
      assert.deepEqual((maskMessage(all, note).message as typeof note).params.data, { ssn: '[REDACTED:ssn]' });
      const err = { jsonrpc: '2.0', id: 4, error: { code: -32000, message: 'no card 4111111111111111', data: { email: 'ada@example.com' } } };
      assert.deepEqual((maskMessage(all, err).message as typeof err).error, { code: -32000, message: 'no card [REDACTED:credit_card]', data: { email: '[REDACTED:email]' } });
    });

    it('long integers are scanned like strings', () => {
      const r = maskMessage(all, response({ structuredContent: { pan: 4111111111111111, count: 12 } }));
      assert.deepEqual((r.message as { result: unknown }).result, { structuredContent: { pan: '[REDACTED:credit_card]', count: 12 } });
    });

    it('a 10 MB string', function () {
      this.timeout(20_000);
      const filler = 'the quick brown fox jumps over the lazy dog 12:30 v1.2.3 '.repeat(90_000);
      const text = `${filler}card ${CARD} ${filler}mail ada@example.com end`;
      assert.ok(text.length > 10_000_000);
      const r = maskMessage(all, textResult(text));
      assert.deepEqual(r.masked, { credit_card: 1, email: 1 });
      const out = textOf(r.message);
      assert.equal(out.length, text.length - CARD.length + '[REDACTED:credit_card]'.length - 'ada@example.com'.length + '[REDACTED:email]'.length);
      assert.ok(out.endsWith('mail [REDACTED:email] end'));
    });

    it('a 100,000-element array', function () {
      this.timeout(20_000);
      const rows = Array.from({ length: 100_000 }, (_, i) => ({ id: i, email: `user${i}@example.com`, note: 'fine' }));
      const r = maskMessage(plan([{ path: '$.structuredContent.rows[*].email', style: 'redact' }]), response({ structuredContent: { rows } }));
      assert.equal(r.masked['$.structuredContent.rows[*].email'], 100_000);
      const out = (r.message as { result: { structuredContent: { rows: typeof rows } } }).result.structuredContent.rows;
      assert.equal(out.length, 100_000);
      assert.ok(out.every((row, i) => row.email === '[REDACTED:email]' && row.id === i));
    });
  });

  describe('the no-false-positive corpus: ordinary tool output has zero detector hits', () => {
    const corpus = readFileSync(join(import.meta.dirname, '../../fixtures/masking/ordinary-output.txt'), 'utf8');
    const lines = corpus.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    it(`has no hits in ${lines.length} lines of text`, () => {
      const observing = plan([]);
      const r = maskMessage(observing, textResult(corpus));
      assert.deepEqual(r.exposed, {});
      assert.equal(r.changed, false);
    });
    it('has no hits when the same lines arrive as JSON values', () => {
      const r = maskMessage(all, response({ structuredContent: { lines }, content: [{ type: 'text', text: JSON.stringify({ lines }, null, 2) }] }));
      assert.deepEqual(r.masked, {});
      assert.equal(r.changed, false);
    });
  });

  describe('JSON paths (evaluated against result, or params; and against JSON embedded in text)', () => {
    const customers = generateCustomers(3);
    const structured = { customers };
    const message = response({ content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }], structuredContent: structured });
    const cases: [path: string, masked: (out: typeof customers) => boolean, count: number][] = [
      ['$.structuredContent.customers[*].card_number', (o) => o.every((c) => c.card_number.startsWith('[REDACTED:card_number]')), 6],
      ['$.structuredContent.customers[1].email', (o) => o[1]!.email === '[REDACTED:email]' && o[0]!.email.includes('@'), 2],
      ['$.structuredContent.customers[-1].email', (o) => o[2]!.email === '[REDACTED:email]' && o[1]!.email.includes('@'), 2],
      ["$['structuredContent']['customers'][*]['iban']", (o) => o.every((c) => c.iban === '[REDACTED:iban]'), 6],
      ['$..phone', (o) => o.every((c) => c.phone === '[REDACTED:phone]'), 6],
      ['$.structuredContent.customers.*.name', (o) => o.every((c) => c.name === '[REDACTED:name]'), 6],
      ['$..customers[*]..address', (o) => o.every((c) => c.address === '[REDACTED:address]'), 6],
    ];
    for (const [path, check, count] of cases) {
      it(path, () => {
        const r = maskMessage(plan([{ path, style: 'redact' }], { observe: false }), message);
        const result = (r.message as { result: { structuredContent: typeof structured } }).result;
        assert.ok(check(result.structuredContent.customers), JSON.stringify(result.structuredContent.customers[0]));
        assert.ok(check((JSON.parse(textOf(r.message)) as typeof structured).customers), 'the JSON text twin is masked too');
        assert.equal(r.masked[path], count);
      });
    }

    it('keeps the text twin indented as it was', () => {
      const r = maskMessage(plan([{ path: '$..email', style: 'redact' }]), message);
      assert.match(textOf(r.message), /^\{\n {2}"customers": \[\n {4}\{/);
    });

    it('a path can select the whole text item', () => {
      const r = maskMessage(plan([{ path: '$.content[*].text', style: 'redact' }]), message);
      assert.equal(textOf(r.message), '[REDACTED:text]');
    });

    it('a subtree selected by a path is replaced whole', () => {
      const r = maskMessage(plan([{ path: '$.structuredContent.customers', style: 'redact' }]), message);
      assert.equal((r.message as { result: { structuredContent: { customers: unknown } } }).result.structuredContent.customers, '[REDACTED:customers]');
    });

    const invalid = ['customers', '$.a[?(@.b)]', '$.a[0,1]', '$.a[', '$.a b'];
    for (const path of invalid) {
      it(`refuses ${JSON.stringify(path)} with REGATE_ERR_MASK_OBLIGATION (the caller fails closed)`, () => {
        assert.throws(() => plan([{ path, style: 'redact' }]), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_MASK_OBLIGATION');
      });
    }
  });

  describe('styles', () => {
    it('redact names the detector', () => {
      assert.equal(textOf(maskMessage(plan([{ detector: 'email', style: 'redact' }]), textResult('ada@example.com')).message), '[REDACTED:email]');
    });
    it('last4 keeps the last four digits and the separators', () => {
      assert.equal(textOf(maskMessage(plan([{ detector: 'credit_card', style: 'last4' }]), textResult(`card ${CARD}`)).message), 'card **** **** **** 1111');
    });
    it('last4 keeps at most half of a short value', () => {
      const r = maskMessage(plan([{ path: '$.pin', style: 'last4' }]), response({ pin: '123456' }));
      assert.deepEqual((r.message as { result: unknown }).result, { pin: '***456' });
    });
    it('hash correlates one value however it is written, and differs with the key', () => {
      const p = plan([{ detector: 'credit_card', style: 'hash' }]);
      const a = textOf(maskMessage(p, textResult(CARD)).message);
      const b = textOf(maskMessage(p, textResult('4111-1111-1111-1111')).message);
      const c = textOf(maskMessage(plan([{ detector: 'credit_card', style: 'hash' }], { hashKey: 'another-key-0123456789' }), textResult(CARD)).message);
      assert.match(a, /^\[HASH:credit_card:[0-9a-f]{8}\]$/);
      assert.equal(a, b);
      assert.notEqual(a, c);
    });
    it('the stricter style wins when two obligations cover the same detector', () => {
      const p = plan([{ detector: 'email', style: 'last4' }, { detector: 'email', style: 'redact' }]);
      assert.equal(textOf(maskMessage(p, textResult('ada@example.com')).message), '[REDACTED:email]');
    });
  });

  describe('observe: counts of what policy left in clear, never values', () => {
    it('counts detector hits that no obligation covered, per detector', () => {
      const r = maskMessage(plan([{ detector: 'email', style: 'redact' }]), textResult(`ada@example.com ${CARD} 10.0.0.1 bob@example.org`));
      assert.deepEqual(r.masked, { email: 2 });
      assert.deepEqual(r.exposed, { credit_card: 1, ip: 1 });
      assert.match(textOf(r.message), /4111 1111 1111 1111/);
    });
    it('counts nothing when observe is off, and a plan without obligations then leaves the message alone', () => {
      const p = plan([], { observe: false });
      const msg = textResult(CARD);
      const r = maskMessage(p, msg);
      assert.equal(r.message, msg);
      assert.deepEqual(r.exposed, {});
    });
    it('does not count values a path already masked', () => {
      const r = maskMessage(plan([{ path: '$.email', style: 'redact' }]), response({ email: 'ada@example.com', other: 'bob@example.org' }));
      assert.deepEqual(r.masked, { '$.email': 1 });
      assert.deepEqual(r.exposed, { email: 1 });
    });
  });

  describe('output', () => {
    it('is always valid JSON, leaves the input untouched and shares unchanged parts', () => {
      const msg = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: `${CARD} "quoted" \\ back\nslash` }], other: { deep: [1, 2, 3] } } };
      const before = JSON.stringify(msg);
      const r = maskMessage(all, msg);
      assert.equal(JSON.stringify(msg), before);
      assert.deepEqual(roundTrip(r.message), r.message);
      assert.equal((r.message as typeof msg).result.other, msg.result.other);
    });
    it('never splits a surrogate pair', () => {
      const text = `😀𝟒${'𝟏'.repeat(15)}😀 ${'𝟒'.repeat(3)}`;
      const r = maskMessage(plan([{ detector: 'credit_card', style: 'last4' }]), textResult(text));
      const out = textOf(r.message);
      assert.equal(out.isWellFormed(), true);
      assert.equal(out, `😀************𝟏𝟏𝟏𝟏😀 ${'𝟒'.repeat(3)}`);
    });
    it('masks each message of a batch', () => {
      const r = maskMessage(all, [textResult(CARD), textResult('fine')]);
      assert.deepEqual(r.masked, { credit_card: 1 });
      assert.equal(textOf((r.message as unknown[])[0]), '[REDACTED:credit_card]');
    });
    it('maskValue masks a bare result', () => {
      assert.deepEqual(maskValue(all, { note: CARD }).message, { note: '[REDACTED:credit_card]' });
    });
  });

  describe('limits and fail-closed errors', () => {
    const limited = plan([{ detector: 'email', style: 'redact' }], { maxMessageBytes: 1000 });
    const isLimit = (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_MASK_LIMIT' && /masking\.max_message_bytes/.test(e.message);
    it('refuses a message whose raw size is over masking.max_message_bytes', () => {
      assert.throws(() => assertMaskable(limited, 1001), isLimit);
      assert.doesNotThrow(() => assertMaskable(limited, 1000));
    });
    it('refuses a message whose text (embedded JSON included) is over the limit', () => {
      assert.throws(() => maskMessage(limited, textResult('x'.repeat(1001))), isLimit);
    });
    it('counts object keys against the limit too', () => {
      assert.throws(() => maskMessage(limited, response({ ['k'.repeat(1001)]: 1 })), isLimit);
    });
    it('refuses JSON in text nested deeper than it walks', () => {
      const deep = `${'['.repeat(600)}1${']'.repeat(600)}`;
      assert.throws(() => maskMessage(all, textResult(deep)), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_MASK_LIMIT');
    });
    it('refuses an unknown detector', () => {
      assert.throws(() => plan([{ detector: 'passport', style: 'redact' }]), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_MASK_OBLIGATION');
    });
    it('the fail-closed plan redacts every detector', () => {
      const r = maskMessage(all, textResult(`${CARD} ada@example.com 219-09-9999 GB82WEST12345698765432 +44 20 7946 0958 10.0.0.1 AKIAIOSFODNN7EXAMPLE`));
      assert.deepEqual(r.masked, { credit_card: 1, email: 1, ssn: 1, iban: 1, phone: 1, ip: 1, secret: 1 });
      assert.deepEqual(r.exposed, {});
    });
  });

  describe('custom detectors from the bundle data (data.regate.masking.detectors)', () => {
    const data = {
      regate: {
        masking: {
          detectors: {
            employee_id: { pattern: 'EMP-[0-9]{6}', keywords: ['EMP-'] },
            loyalty_card: { pattern: '\\b9[0-9]{15}\\b', validator: 'luhn' },
            badge: { pattern: 'badge #([0-9]{4})', flags: 'i', group: 1 },
          },
        },
      },
    };
    const customDetectors = customDetectorsFromData(data);
    it('masks by a custom detector named in an obligation, with its validator and capture group', () => {
      const p = plan(
        [
          { detector: 'employee_id', style: 'hash' },
          { detector: 'loyalty_card', style: 'redact' },
          { detector: 'badge', style: 'redact' },
        ],
        { customDetectors },
      );
      const r = maskMessage(p, textResult('EMP-123456 and EMP-１２３４５６ card 9000000000000001 not 9000000000000009 Badge #1234'));
      assert.match(textOf(r.message), /^\[HASH:employee_id:[0-9a-f]{8}\] and \[HASH:employee_id:[0-9a-f]{8}\] card \[REDACTED:loyalty_card\] not 9000000000000009 Badge #\[REDACTED:badge\]$/);
      assert.deepEqual(r.masked, { employee_id: 2, loyalty_card: 1, badge: 1 });
    });
    it('observes custom detectors that are not obligations', () => {
      const r = maskMessage(plan([], { customDetectors }), textResult('EMP-123456'));
      assert.deepEqual(r.exposed, { employee_id: 1 });
    });
    const bad: [string, unknown][] = [
      ['a name shadowing a built-in', { email: { pattern: 'x' } }],
      ['an invalid regex', { broken: { pattern: '(' } }],
      ['an unknown validator', { x: { pattern: 'x', validator: 'crc32' } }],
      ['an unknown field', { x: { pattern: 'x', style: 'redact' } }],
    ];
    for (const [name, detectors] of bad) {
      it(`refuses ${name}`, () => {
        assert.throws(() => customDetectorsFromData({ regate: { masking: { detectors } } }), (e: unknown) => e instanceof RegateError && e.code === 'REGATE_ERR_MASK_OBLIGATION');
      });
    }
    it('has none when the bundle data has none', () => assert.deepEqual(customDetectorsFromData({ regate: {} }), []));
  });

  describe('the JSON text twin of structuredContent reuses its masking only when it is exactly its JSON', () => {
    const customers = generateCustomers(4);
    const sc = { customers, note: `call ${customers[0]!.phone}` };
    const twinMessage = (text: string, structured: object = sc) => response({ content: [{ type: 'text', text }], structuredContent: structured });
    const scOf = (m: unknown): unknown => (m as { result: { structuredContent: unknown } }).result.structuredContent;
    const planted = (c: (typeof customers)[number]) => [c.email, c.card_number, c.iban];

    for (const [layout, text] of [
      ['compact', JSON.stringify(sc)],
      ['indented', JSON.stringify(sc, null, 2)],
      ['tab-indented', JSON.stringify(sc, null, '\t')],
    ] as const) {
      it(`a ${layout} twin is masked exactly as on its own, and counted as on its own`, () => {
        const both = maskMessage(all, twinMessage(text));
        const alone = maskMessage(all, textResult(text));
        const structured = maskMessage(all, response({ structuredContent: sc }));
        assert.equal(textOf(both.message), textOf(alone.message));
        assert.deepEqual(scOf(both.message), scOf(structured.message));
        for (const [k, n] of Object.entries(alone.masked)) assert.equal(both.masked[k], n + (structured.masked[k] ?? 0), k);
        const out = JSON.stringify(both.message);
        for (const c of customers) for (const v of planted(c)) assert.ok(!out.includes(v), `${v} left in clear`);
      });
    }

    const near: [name: string, text: string][] = [
      ['one more field carrying a card', JSON.stringify({ ...sc, extra: CARD })],
      ['a name changed to another of the same length', JSON.stringify(sc).replace(customers[1]!.name, 'Z'.repeat(customers[1]!.name.length))],
      ['a trailing space', `${JSON.stringify(sc)} `],
      ['a different indent', JSON.stringify({ ...sc, extra: CARD }, null, 3)],
    ];
    for (const [name, text] of near) {
      it(`text that is not exactly its JSON is masked on its own: ${name}`, () => {
        const both = maskMessage(all, twinMessage(text));
        assert.equal(textOf(both.message), textOf(maskMessage(all, textResult(text)).message));
        assert.ok(![JSON.stringify(sc), JSON.stringify(sc, null, 2)].includes(text));
        const out = JSON.stringify(both.message);
        for (const v of [CARD, ...customers.flatMap(planted)]) assert.ok(!out.includes(v), `${v} left in clear`);
        if (name.startsWith('a name')) assert.ok(textOf(both.message).includes('ZZZ'));
      });
    }

    it('a path written for the text alone ($.customers[*].name) still masks the twin', () => {
      const p = plan([{ path: '$.customers[*].name', style: 'redact' }]);
      const r = maskMessage(p, twinMessage(JSON.stringify(sc, null, 2)));
      const twin = JSON.parse(textOf(r.message)) as typeof sc;
      assert.ok(twin.customers.every((c) => c.name === '[REDACTED:name]'));
      assert.equal((scOf(r.message) as typeof sc).customers[0]!.name, customers[0]!.name);
    });

    it('a structuredContent with a key of its own named structuredContent is masked in the twin by $.structuredContent.x too', () => {
      const nested = { structuredContent: { secret_name: 'Ada' }, secret_name: 'Bob' };
      const p = plan([{ path: '$.structuredContent.secret_name', style: 'redact' }], { observe: false });
      const r = maskMessage(p, twinMessage(JSON.stringify(nested), nested));
      assert.equal(textOf(r.message), textOf(maskMessage(p, textResult(JSON.stringify(nested))).message));
      assert.deepEqual(JSON.parse(textOf(r.message)), { structuredContent: { secret_name: '[REDACTED:secret_name]' }, secret_name: '[REDACTED:secret_name]' });
    });

    it('a path masking structuredContent whole leaves the twin to the detectors', () => {
      const p = plan([{ path: '$.structuredContent', style: 'redact' }, { detector: 'credit_card', style: 'redact' }]);
      const r = maskMessage(p, twinMessage(JSON.stringify(sc)));
      assert.equal(scOf(r.message), '[REDACTED:structuredContent]');
      assert.ok(!textOf(r.message).includes(customers[0]!.card_number));
    });
  });

  describe('binary content no detector can inspect (masking.binary)', () => {
    const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const withheld = (kind: string, mime: string) =>
      `[WITHHELD:${kind}] ${kind} (${mime}) withheld: regate cannot inspect binary content for masking (masking.binary: withhold)`;
    const secretOnly = plan([{ detector: 'secret', style: 'redact' }]);
    const cases: [name: string, message: unknown, expected: unknown][] = [
      [
        'an image content item becomes a text item',
        response({ content: [{ type: 'text', text: 'here' }, { type: 'image', data: PNG, mimeType: 'image/png' }] }),
        { content: [{ type: 'text', text: 'here' }, { type: 'text', text: withheld('image', 'image/png') }] },
      ],
      [
        'an audio content item becomes a text item',
        response({ content: [{ type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav', _meta: { a: 1 } }] }),
        { content: [{ type: 'text', text: withheld('audio', 'audio/wav') }] },
      ],
      [
        "an embedded resource's blob becomes text of the same uri, the uri still masked",
        response({ content: [{ type: 'resource', resource: { uri: 's3://bucket/a.bin?id=AKIAIOSFODNN7EXAMPLE', mimeType: 'application/octet-stream', blob: PNG } }] }),
        {
          content: [
            { type: 'resource', resource: { uri: 's3://bucket/a.bin?id=[REDACTED:secret]', mimeType: 'text/plain', text: withheld('blob', 'application/octet-stream') } },
          ],
        },
      ],
      [
        'resources/read contents with a blob',
        response({ contents: [{ uri: 'demo://r/1', mimeType: 'image/png', blob: PNG }, { uri: 'demo://r/2', text: 'plain' }] }),
        { contents: [{ uri: 'demo://r/1', mimeType: 'text/plain', text: withheld('blob', 'image/png') }, { uri: 'demo://r/2', text: 'plain' }] },
      ],
      [
        'an image in a prompt message',
        response({ messages: [{ role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } }] }),
        { messages: [{ role: 'user', content: { type: 'text', text: withheld('image', 'image/png') } }] },
      ],
      [
        'a media type that is not one is not repeated',
        response({ content: [{ type: 'image', data: PNG, mimeType: 'image/png; call +44 20 7946 0958' }] }),
        { content: [{ type: 'text', text: withheld('image', 'x').replace(' (x)', '') }] },
      ],
    ];
    for (const [name, message, expected] of cases) {
      it(name, () => {
        const r = maskMessage(secretOnly, message);
        assert.deepEqual((r.message as { result: unknown }).result, expected);
        assert.ok(r.masked.binary! >= 1);
        assert.ok(!JSON.stringify(r.message).includes(PNG.slice(0, 12)));
      });
    }

    it('an image a server asks the client to sample from is withheld too', () => {
      const request = { jsonrpc: '2.0', id: 3, method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } }], maxTokens: 10 } };
      const r = maskMessage(secretOnly, request);
      assert.deepEqual((r.message as typeof request).params.messages[0]!.content, { type: 'text', text: withheld('image', 'image/png') });
      assert.equal(r.masked.binary, 1);
    });

    it('records that merely have a type "image" field, and text resources, are left alone', () => {
      const message = response({ structuredContent: { items: [{ type: 'image', url: 'https://example.com/a.png' }] }, contents: [{ uri: 'demo://t', text: 'hello' }] });
      const r = maskMessage(secretOnly, message);
      assert.equal(r.message, message);
      assert.equal(r.masked.binary, undefined);
    });

    it('masking.binary: pass leaves binary content as it is', () => {
      const message = response({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] });
      const r = maskMessage(plan([{ detector: 'secret', style: 'redact' }], { binary: 'pass' }), message);
      assert.deepEqual(roundTrip(r.message), message);
      assert.equal(r.masked.binary, undefined);
    });

    it('a call without mask obligations (observing only) keeps its images', () => {
      const message = response({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] });
      assert.equal(maskMessage(plan([]), message).message, message);
    });
  });

  describe('the planner', () => {
    it('compiles a decision once and reuses the plan', () => {
      const planner = createMaskPlanner({ hashKey });
      const a = planner.plan([{ detector: 'email', style: 'redact' }]);
      assert.equal(planner.plan([{ detector: 'email', style: 'redact' }]), a);
      assert.notEqual(planner.plan([{ detector: 'email', style: 'hash' }]), a);
    });
    it("masks the demo CRM's customers by the default policy's get_customer obligations", () => {
      const data = JSON.parse(readFileSync(join(import.meta.dirname, '../../../rego/data.json'), 'utf8')) as {
        regate: { config: { connections: { crm: { masks: { get_customer: MaskObligation[] }; detectors: MaskObligation[] } } } };
      };
      const crm = data.regate.config.connections.crm;
      const p = createMaskPlanner({ hashKey }).plan([...crm.masks.get_customer, ...crm.detectors]);
      for (const customer of generateCustomers(20)) {
        const structured = { customer };
        const r = maskMessage(p, response({ content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }], structuredContent: structured }));
        const out = JSON.stringify(r.message);
        for (const v of [customer.email, customer.phone, customer.card_number, customer.iban]) assert.ok(!out.includes(v), `${v} left in clear`);
      }
    });
  });
});
