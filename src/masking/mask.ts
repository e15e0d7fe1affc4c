/**
 * Masks one parsed JSON-RPC message by a plan. Paths are evaluated against the message's root
 * (`result` of a response, `params` of a request or notification) and against JSON embedded in its
 * strings (a `content[].text` holding JSON, and JSON inside a string of that JSON: two levels),
 * which is re-serialized so the text stays parseable. Detectors run on every string, object key and
 * long integer under the root, `_meta` included, and on `error.message`/`error.data`.
 *
 * Binary content no detector can inspect (an `image` or `audio` content item, a resource's `blob`)
 * is withheld under a mask obligation unless `masking.binary: pass`: replaced by text saying so,
 * and counted under `binary`.
 *
 * Pure: the input is never modified; unchanged subtrees are shared with the output.
 */
import { RegateError } from '../errors.ts';
import { keyContext } from './context.ts';
import { fold } from './normalize.ts';
import { scanCustom } from './custom.ts';
import { advance, NO_STATES, type States } from './paths.ts';
import type { MaskPlan } from './plan.ts';
import { scanBuiltins, type Hit } from './scanner.ts';
import { canonical, redacted, render, STRICTNESS, type MaskStyle } from './styles.ts';

export type MaskCounts = Record<string, number>;

export interface MaskResult {
  /** The masked message (the input itself when nothing changed). */
  readonly message: unknown;
  readonly changed: boolean;
  /** Values masked, per detector name or obligation path. */
  readonly masked: MaskCounts;
  /** Detector hits left in clear because no obligation covered them (observe), per detector. */
  readonly exposed: MaskCounts;
}

/** Embedded JSON is parsed this many levels deep (JSON in a text item, JSON in a string of that). */
const MAX_EMBED_LEVEL = 2;
/** Deeper nesting (possible inside embedded text, which the request limits do not see) is refused. */
export const MAX_MASK_DEPTH = 512;

/** Throws REGATE_ERR_MASK_LIMIT when a message of `bytes` is over the plan's limit; call before parsing. */
export function assertMaskable(plan: MaskPlan, bytes: number): void {
  if (bytes > plan.maxMessageBytes) throw limitError(plan, `${bytes} bytes`);
}

function limitError(plan: MaskPlan, what: string): RegateError {
  return new RegateError('REGATE_ERR_MASK_LIMIT', `${what} exceeds masking.max_message_bytes (${plan.maxMessageBytes})`);
}

/**
 * Masks a parsed JSON-RPC message (or batch) by `plan`; throws REGATE_ERR_MASK_LIMIT when its text
 * exceeds the plan's limit or nests too deeply. The caller replaces the message with an error reply.
 */
export function maskMessage(plan: MaskPlan, message: unknown): MaskResult {
  const w = new Walker(plan);
  const out = plan.masks || plan.observe ? w.message(message) : message;
  w.flush();
  return { message: out, changed: out !== message, masked: w.masked, exposed: w.exposed };
}

/** Masks a bare value as a message root (a tool result, a resource's contents). */
export function maskValue(plan: MaskPlan, value: unknown): MaskResult {
  const w = new Walker(plan);
  const out = plan.masks || plan.observe ? w.root(value, plan.rootStates, plan.rootPaths, 0) : value;
  w.flush();
  return { message: out, changed: out !== value, masked: w.masked, exposed: w.exposed };
}

type Json = Record<string, unknown>;
interface Slot {
  readonly style: MaskStyle;
  readonly redaction: string | undefined;
  n: number;
}
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

class Walker {
  readonly masked: MaskCounts = {};
  readonly exposed: MaskCounts = {};
  readonly plan: MaskPlan;
  #budget: number;
  /** Keys repeat (arrays of records): clean ones are remembered per message with their context. */
  readonly #keys = new Map<string, { readonly ctx: number; readonly masked: string | undefined }>();
  readonly #slots = new Map<string, Slot>();
  /** A tool result's structuredContent, already masked, for its JSON text twin (see twinOf). */
  #twin: Twin | undefined;

  constructor(plan: MaskPlan) {
    this.plan = plan;
    this.#budget = plan.maxMessageBytes;
  }

  message(msg: unknown): unknown {
    if (Array.isArray(msg)) return this.copyOnWrite(msg, (m) => this.message(m));
    if (!isObject(msg)) return this.root(msg, this.plan.rootStates, this.plan.rootPaths, 0);
    let out = msg;
    const set = (k: string, v: unknown) => {
      if (v !== msg[k]) out = { ...out, [k]: v };
    };
    if ('result' in msg) set('result', this.root(msg.result, this.plan.rootStates, this.plan.rootPaths, 0));
    else if ('params' in msg) set('params', this.root(msg.params, this.plan.rootStates, this.plan.rootPaths, 0));
    else if (!('error' in msg) && !('method' in msg)) return this.root(msg, this.plan.rootStates, this.plan.rootPaths, 0);
    if (isObject(msg.error)) {
      const e = msg.error;
      let err = e;
      for (const k of ['message', 'data'] as const) {
        if (!(k in e)) continue;
        const v = this.value(e[k], NO_STATES, 0, 0, 1);
        if (v !== e[k]) err = { ...err, [k]: v };
      }
      set('error', err);
    }
    return out;
  }

  root(v: unknown, states: States, rootPaths: readonly number[], level: number): unknown {
    if (rootPaths.length > 0) return this.applyPaths(v, rootPaths);
    return this.value(v, states, 0, level, 0);
  }

  value(v: unknown, states: States, ctx: number, level: number, depth: number): unknown {
    if (typeof v === 'string') return this.string(v, ctx, level);
    if (typeof v === 'number') return this.number(v, ctx);
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_MASK_DEPTH) throw new RegateError('REGATE_ERR_MASK_LIMIT', `the message nests more than ${MAX_MASK_DEPTH} levels`);
    const paths = this.plan.paths;
    if (Array.isArray(v)) {
      const n = v.length;
      let out: unknown[] | undefined;
      for (let i = 0; i < n; i++) {
        const child: unknown = v[i];
        const adv = states.length === 0 ? NO_ADVANCE : advance(paths, states, i, n);
        const next = adv.matched.length > 0 ? this.applyPaths(child, adv.matched) : this.value(child, adv.states, ctx, level, depth + 1);
        if (next !== child) (out ??= v.slice())[i] = next;
      }
      return out ?? v;
    }
    if (this.plan.withholdBinary) {
      const w = withheld(v as Json);
      if (w !== undefined) {
        this.masked.binary = (this.masked.binary ?? 0) + 1;
        // The replacement is walked like the rest: a resource's uri may hold a value too.
        return this.value(w, states, ctx, level, depth + 1);
      }
    }
    if (RAW.isRawJSON(v)) {
      // A number kept as written (see parseEmbedded): scanned as its digits.
      const source = (v as { rawJSON: string }).rawJSON;
      const masked = this.text(source, ctx);
      return masked === source ? v : masked;
    }
    const keys = Object.keys(v);
    const pre = depth === 0 && level === 0 ? this.twinOf(v as Json, states) : undefined;
    let out: Json | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = (v as Json)[key];
      if (pre !== undefined && key === 'structuredContent') {
        // Masked already (twinOf), before the text twin that usually precedes it.
        if (pre.masked !== child && out === undefined) {
          out = {};
          for (let j = 0; j < i; j++) define(out, keys[j] as string, (v as Json)[keys[j] as string]);
        }
        if (out !== undefined) define(out, key, pre.masked);
        continue;
      }
      const adv = states.length === 0 ? NO_ADVANCE : advance(paths, states, key, 0);
      // One lookup per key: its context flags, and whether it is known to have no hits.
      let info = this.#keys.get(key);
      if (info === undefined) {
        this.spend(key.length);
        const masked = this.text(key, 0);
        info = { ctx: keyContext(key), masked: masked === key ? undefined : masked };
        if (info.masked === undefined && this.#keys.size < 10_000) this.#keys.set(key, info);
      }
      const next = adv.matched.length > 0 ? this.applyPaths(child, adv.matched) : this.value(child, adv.states, info.ctx, level, depth + 1);
      const newKey = info.masked ?? key;
      if (out === undefined && (next !== child || newKey !== key)) {
        out = {};
        for (let j = 0; j < i; j++) define(out, keys[j] as string, (v as Json)[keys[j] as string]);
      }
      if (out === undefined) continue;
      let k = newKey;
      // Two keys masked to the same text must both survive.
      for (let n = 2; Object.hasOwn(out, k); n++) k = `${newKey}#${n}`;
      define(out, k, next);
    }
    return out ?? v;
  }

  private copyOnWrite(list: readonly unknown[], f: (v: unknown) => unknown): unknown {
    let out: unknown[] | undefined;
    list.forEach((v, i) => {
      const next = f(v);
      if (next !== v) (out ??= list.slice())[i] = next;
    });
    return out ?? list;
  }

  private number(n: number, ctx: number): unknown {
    // Only long integers can be a card, phone, SSN or account number.
    if (!Number.isInteger(n) || Math.abs(n) < 1e8) return n;
    const s = String(n);
    const masked = this.text(s, ctx);
    return masked === s ? n : masked;
  }

  private string(s: string, ctx: number, level: number): unknown {
    this.spend(s.length);
    const twin = level === 0 ? this.#twin : undefined;
    if (twin !== undefined && twin.matches(s)) {
      // The exact JSON text of the structuredContent masked already: same document, same masks.
      addCounts(this.masked, twin.masked);
      addCounts(this.exposed, twin.exposed);
      return twin.result === twin.source ? s : reserialize(twin.result, s);
    }
    if (level < MAX_EMBED_LEVEL && looksLikeJson(s)) {
      let doc: unknown;
      try {
        doc = parseEmbedded(s);
      } catch {
        doc = undefined;
      }
      if (doc !== null && typeof doc === 'object') {
        const masked = this.root(doc, this.plan.embeddedStates, NO_ROOT_PATHS, level + 1);
        return masked === doc ? s : reserialize(masked, s);
      }
    }
    return this.text(s, ctx);
  }

  /**
   * For a tool result carrying both `structuredContent` (an object) and `content`, masks the
   * structuredContent first and remembers it, so a text item that is exactly its JSON serialization
   * (compact or indented, compared in full) reuses that masking instead of being parsed and walked
   * again. Only where the two walks are the same: no path ends at structuredContent itself, the
   * plan's paths mean the same at both roots (plan.twinSafe), and the document has no key of its
   * own named structuredContent (where `$.structuredContent.x` would also match in the twin).
   * The structured walk parses JSON-in-strings one level deeper than the twin's would, so it masks
   * at least as much.
   */
  private twinOf(v: Json, states: States): { readonly masked: unknown } | undefined {
    this.#twin = undefined;
    const sc = v.structuredContent;
    if (!this.plan.twinSafe || !Array.isArray(v.content) || !isObject(sc) || Object.hasOwn(sc, 'structuredContent')) return undefined;
    const adv = states.length === 0 ? NO_ADVANCE : advance(this.plan.paths, states, 'structuredContent', 0);
    if (adv.matched.length > 0) return undefined;
    this.flush();
    const before = { masked: { ...this.masked }, exposed: { ...this.exposed } };
    const masked = this.value(sc, adv.states, keyContext('structuredContent'), 0, 1);
    this.flush();
    this.#twin = new Twin(sc, masked, diffCounts(this.masked, before.masked), diffCounts(this.exposed, before.exposed));
    return { masked };
  }

  private spend(n: number): void {
    this.#budget -= n;
    if (this.#budget < 0) throw limitError(this.plan, 'the text of the message');
  }

  /** Masks detector hits in one string (a value or a key). */
  private text(s: string, ctx: number): string {
    const plan = this.plan;
    const builtin = scanBuiltins(s, plan.scanBits, ctx);
    const hits = plan.custom.length > 0 ? [...builtin, ...scanCustom(s, plan.custom)] : builtin;
    if (hits.length === 0) return s;
    let active: readonly Hit[] = hits;
    const passive: Hit[] = [];
    if (!plan.allActive) {
      const a: Hit[] = [];
      for (const h of hits) (plan.detectorStyles.has(h.detector) ? a : passive).push(h);
      active = a;
    }
    const chosen = nonOverlapping(active);
    if (plan.observe && passive.length > 0) this.countExposed(passive, chosen);
    if (chosen.length === 0) return s;
    const only = chosen[0] as Hit;
    if (chosen.length === 1 && only.start === 0 && only.end === s.length) {
      // The whole value is one hit (an email field, a card field): the common case in records.
      const slot = this.slot(only.detector);
      if (slot.redaction !== undefined) {
        slot.n++;
        return slot.redaction;
      }
    }
    let out = '';
    let at = 0;
    for (const h of chosen) {
      const slot = this.slot(h.detector);
      out += s.slice(at, h.start);
      if (slot.redaction !== undefined) out += slot.redaction;
      else {
        const original = s.slice(h.start, h.end);
        out += render(slot.style, h.detector, original, slot.style === 'hash' ? canonical(h.detector, fold(original).text) : '', plan.hash);
      }
      at = h.end;
      slot.n++;
    }
    return out + s.slice(at);
  }

  /** A masking detector's style, its redaction text and its count so far: one lookup per hit. */
  private slot(detector: string): Slot {
    let slot = this.#slots.get(detector);
    if (slot === undefined) {
      const style = this.plan.detectorStyles.get(detector) ?? 'redact';
      slot = { style, redaction: style === 'redact' ? redacted(detector) : undefined, n: 0 };
      this.#slots.set(detector, slot);
    }
    return slot;
  }

  /** Moves the detector counts kept in slots into `masked`; call before reading `masked`. */
  flush(): void {
    for (const [detector, slot] of this.#slots) {
      if (slot.n === 0) continue;
      this.masked[detector] = (this.masked[detector] ?? 0) + slot.n;
      slot.n = 0;
    }
  }

  /** Counts passive hits that no chosen (masked) hit overlaps; both lists sorted by start, one sweep. */
  private countExposed(passive: Hit[], chosen: readonly Hit[]): void {
    passive.sort((a, b) => a.start - b.start);
    let j = 0;
    for (const h of passive) {
      while (j < chosen.length && (chosen[j] as Hit).end <= h.start) j++;
      const c = chosen[j];
      if (c === undefined || c.start >= h.end) this.exposed[h.detector] = (this.exposed[h.detector] ?? 0) + 1;
    }
  }

  private applyPaths(v: unknown, matched: readonly number[]): unknown {
    if (v === null || v === undefined) return v;
    const paths = this.plan.paths;
    let win = paths[matched[0] as number];
    for (const i of matched) {
      const p = paths[i];
      if (p && win && STRICTNESS[p.style] > STRICTNESS[win.style]) win = p;
    }
    if (!win) return v;
    this.masked[win.key] = (this.masked[win.key] ?? 0) + 1;
    if (typeof v === 'object') {
      const json = JSON.stringify(v);
      this.spend(json.length);
      return render(win.style === 'last4' ? 'redact' : win.style, win.label, json, json, this.plan.hash);
    }
    const s = String(v);
    this.spend(s.length);
    return render(win.style, win.label, s, s, this.plan.hash);
  }
}

const NO_ROOT_PATHS: readonly number[] = [];
const NO_ADVANCE = { states: NO_STATES, matched: NO_ROOT_PATHS };

/** Sets a property, even one named __proto__ (JSON.parse makes those own properties too). */
function define(o: Json, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

function nonOverlapping(hits: readonly Hit[]): readonly Hit[] {
  if (hits.length <= 1) return hits;
  // The scanner reports hits in order; sort only when they are not (custom detectors, overlaps).
  let ordered = true;
  for (let i = 1; i < hits.length && ordered; i++) ordered = (hits[i - 1] as Hit).end <= (hits[i] as Hit).start;
  if (ordered) return hits;
  const sorted = [...hits].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  let end = -1;
  for (const h of sorted) {
    if (h.start >= end) {
      out.push(h);
      end = h.end;
    }
  }
  return out;
}

/** JSON.rawJSON (ES2025, Node 22+): a number serialized exactly as written. Not in TypeScript's lib yet. */
const RAW = JSON as unknown as { rawJSON(text: string): object; isRawJSON(v: unknown): boolean };
/** Numbers that JSON.parse then JSON.stringify would rewrite: beyond 2^53, trailing zeros, exponents, -0. */
const LOSSY_NUMBER = /\d{16}|\d\.\d*0(?!\d)|\d[eE]|-0(?![.\d])/;

/**
 * Parses JSON embedded in text so that re-serializing it changes only what was masked: numbers that
 * would not survive a round trip (an order id beyond 2^53, a price written 1.50) are kept as written.
 */
function parseEmbedded(s: string): unknown {
  if (!LOSSY_NUMBER.test(s)) return JSON.parse(s);
  return JSON.parse(s, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    const source = context?.source;
    return typeof value === 'number' && source !== undefined && source !== String(value) ? RAW.rawJSON(source) : value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}

function looksLikeJson(s: string): boolean {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) <= 32) i++;
  const c = s.charCodeAt(i);
  if (c !== 123 && c !== 91) return false;
  let j = s.length - 1;
  while (j > i && s.charCodeAt(j) <= 32) j--;
  const e = s.charCodeAt(j);
  return (c === 123 && e === 125) || (c === 91 && e === 93);
}

/** Serializes masked embedded JSON the way the original was written (indented or compact). */
function reserialize(doc: unknown, original: string): string {
  const indent = /^\s*[[{]\r?\n([ \t]+)/.exec(original)?.[1];
  return indent ? JSON.stringify(doc, null, indent) : JSON.stringify(doc);
}

/** A masked structuredContent and its JSON texts, serialized once and only when a candidate text shows up. */
class Twin {
  readonly source: Json;
  readonly result: unknown;
  readonly masked: MaskCounts;
  readonly exposed: MaskCounts;
  readonly #texts = new Map<string, string>();

  constructor(source: Json, result: unknown, masked: MaskCounts, exposed: MaskCounts) {
    this.source = source;
    this.result = result;
    this.masked = masked;
    this.exposed = exposed;
  }

  /** Whether `s` is exactly the source's JSON, compact or with the indent `s` shows (reserialize's rule). */
  matches(s: string): boolean {
    if (s.charCodeAt(0) !== 123) return false;
    const t = this.text(s);
    return t.length === s.length && t === s;
  }

  private text(s: string): string {
    const indent = /^\{\r?\n([ \t]+)/.exec(s)?.[1] ?? '';
    let t = this.#texts.get(indent);
    if (t === undefined) {
      t = indent ? JSON.stringify(this.source, null, indent) : JSON.stringify(this.source);
      this.#texts.set(indent, t);
    }
    return t;
  }
}

function diffCounts(now: MaskCounts, before: MaskCounts): MaskCounts {
  const out: MaskCounts = {};
  for (const [k, n] of Object.entries(now)) if (n !== (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

function addCounts(into: MaskCounts, add: MaskCounts): void {
  for (const [k, n] of Object.entries(add)) into[k] = (into[k] ?? 0) + n;
}

const MIME = /^[A-Za-z0-9.+-]{1,40}\/[A-Za-z0-9.+-]{1,60}$/;

function withheldText(kind: string, mimeType: unknown): string {
  // The media type is the server's text: shown only when it has a media type's shape.
  const type = typeof mimeType === 'string' && MIME.test(mimeType) ? ` (${mimeType})` : '';
  return `[WITHHELD:${kind}] ${kind}${type} withheld: regate cannot inspect binary content for masking (masking.binary: withhold)`;
}

/**
 * What binary content becomes when withheld: an image or audio content item a text item, a
 * resource's contents with a blob text contents of the same uri (embedded resources and
 * resources/read alike); undefined for anything else.
 */
function withheld(v: Json): Json | undefined {
  if ((v.type === 'image' || v.type === 'audio') && typeof v.data === 'string') {
    return { type: 'text', text: withheldText(v.type, v.mimeType) };
  }
  if (typeof v.blob === 'string' && typeof v.uri === 'string') {
    return { uri: v.uri, mimeType: 'text/plain', text: withheldText('blob', v.mimeType) };
  }
  return undefined;
}
