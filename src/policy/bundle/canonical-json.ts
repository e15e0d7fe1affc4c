/**
 * OPA's canonical form of structured bundle files (data.json, .manifest, ...), which is what a
 * bundle signature hashes instead of the raw bytes (v1/bundle/hash.go): parse the JSON keeping
 * every number exactly as written (Go's json.Number), then write objects with keys sorted
 * bytewise, no whitespace, and strings escaped as Go's encoding/json does with HTML escaping off.
 * The digest then ignores formatting, key order and `\u` escapes, exactly as in OPA.
 */
import { RegateError } from '../../errors.ts';

function malformed(what: string, detail: string): RegateError {
  return new RegateError('REGATE_ERR_BUNDLE_FORMAT', `${what} is not valid JSON: ${detail}`);
}

const HEX = '0123456789abcdef';

/** Quotes a string like Go's encoding/json with SetEscapeHTML(false) (Go >= 1.22: \b and \f short forms). */
export function goQuote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c < 0x20) {
      esc =
        c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t'
        : `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x2028 || c === 0x2029) esc = c === 0x2028 ? '\\u2028' : '\\u2029';
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** Go compares map keys as UTF-8 byte strings; UTF-16 order differs for characters above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses JSON text and returns its canonical encoding; throws REGATE_ERR_BUNDLE_FORMAT naming `what`. */
export function canonicalJson(text: string, what = 'document'): string {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  const fail = (msg: string): never => {
    throw malformed(what, `${msg} at offset ${pos}`);
  };

  const string = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(pos, pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          // Lone surrogates survive here and become U+FFFD when encoded to UTF-8, as in Go.
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail('bad escape');
      }
      start = pos;
    }
  };

  const value = (): string => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const members = new Map<string, string>();
      ws();
      if (text[pos] === '}') {
        pos++;
        return '{}';
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected object key');
        const key = string();
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        members.delete(key); // a repeated key keeps the last value, as Go's decoder does
        members.set(key, value());
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          break;
        }
        fail("expected ',' or '}'");
      }
      const keys = [...members.keys()].sort(compareUtf8);
      return `{${keys.map((k) => `${goQuote(k)}:${members.get(k)}`).join(',')}}`;
    }
    if (c === '[') {
      pos++;
      const items: string[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return '[]';
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          break;
        }
        fail("expected ',' or ']'");
      }
      return `[${items.join(',')}]`;
    }
    if (c === '"') return goQuote(string());
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return literal;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) return fail('unexpected character');
    pos += m[0].length;
    return m[0]; // json.Number: the literal exactly as written
  };

  const result = value();
  ws();
  if (pos !== text.length) fail('unexpected data after the top-level value');
  return result;
}

/** Decodes a structured file as OPA does: UTF-8 (invalid bytes become U+FFFD), BOM stripped. */
export function structuredText(data: Buffer): string {
  const start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8').decode(data.subarray(start));
}
