/**
 * Server-Sent Events framing (WHATWG HTML, "event stream interpretation"), incremental: bytes go in
 * as they arrive, complete events come out one by one. regate never buffers a whole stream, only
 * the event being assembled, which is bounded by `maxEventBytes`.
 */
import { RegateError } from '../errors.ts';

export type SseItem =
  | { readonly type: 'event'; readonly event: string | undefined; readonly data: string; readonly id: string | undefined; readonly retry: number | undefined }
  | { readonly type: 'comment'; readonly text: string };

export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #maxEventBytes: number;
  #buffer = '';
  #pendingCR = false;
  #event: string | undefined;
  #data: string[] = [];
  #id: string | undefined;
  #retry: number | undefined;
  #eventBytes = 0;
  #started = false;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
  }

  /** Feeds a chunk; returns the items completed by it, in order. */
  push(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseItem[] = [];
    this.#buffer += text;
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c === 0x0a && this.#pendingCR) {
        // second half of a CRLF pair whose CR ended the previous line
        this.#pendingCR = false;
        start = i + 1;
        continue;
      }
      this.#pendingCR = false;
      if (c === 0x0a || c === 0x0d) {
        this.#line(this.#buffer.slice(start, i), out);
        if (c === 0x0d) this.#pendingCR = true;
        start = i + 1;
      }
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#eventBytes > this.#maxEventBytes) {
      throw new RegateError('REGATE_ERR_UPSTREAM_TOO_LARGE', `SSE event larger than ${this.#maxEventBytes} bytes`);
    }
    return out;
  }

  #line(line: string, out: SseItem[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        out.push({ type: 'event', event: this.#event, data: this.#data.join('\n'), id: this.#id, retry: this.#retry });
      }
      this.#event = undefined;
      this.#data = [];
      this.#retry = undefined;
      this.#id = undefined;
      this.#eventBytes = 0;
      return;
    }
    this.#eventBytes += line.length + 1;
    if (this.#eventBytes > this.#maxEventBytes) {
      throw new RegateError('REGATE_ERR_UPSTREAM_TOO_LARGE', `SSE event larger than ${this.#maxEventBytes} bytes`);
    }
    if (line.charCodeAt(0) === 0x3a /* : */) {
      out.push({ type: 'comment', text: line.slice(1) });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        // unknown fields are ignored, as the spec requires
        break;
    }
  }
}

/** Serialises an event; multi-line data becomes several `data:` lines. */
export function formatSseEvent(e: { event?: string | undefined; data: string; id?: string | undefined; retry?: number | undefined }): string {
  let s = '';
  if (e.event !== undefined) s += `event: ${e.event}\n`;
  if (e.id !== undefined) s += `id: ${e.id}\n`;
  if (e.retry !== undefined) s += `retry: ${e.retry}\n`;
  // JSON.stringify never emits a raw line break, so the usual event is one data line.
  if (e.data.indexOf('\n') === -1 && e.data.indexOf('\r') === -1) s += `data: ${e.data}\n`;
  else for (const line of e.data.split(/\r\n|\r|\n/)) s += `data: ${line}\n`;
  return s + '\n';
}

export function formatSseComment(text: string): string {
  return `:${text}\n\n`;
}
