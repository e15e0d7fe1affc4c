/**
 * What one benchmark answer was. A call counts only when it reached the upstream and came back with
 * its own answer: regate's denials (a tool result with `isError` and regate's decision in `_meta`,
 * or a JSON-RPC error coded REGATE_ERR_POLICY_DENIED) are counted apart, and anything else that is
 * not the expected answer is a failure. Pure, so its rules are tested on their own.
 */

export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'denied'; readonly rule: string }
  | { readonly kind: 'failed'; readonly detail: string };

interface RpcAnswer {
  id?: unknown;
  result?: { isError?: unknown; _meta?: Record<string, unknown> } & Record<string, unknown>;
  error?: { message?: unknown; data?: { code?: unknown; rule?: unknown } };
}

/** The JSON-RPC message with the given id in a JSON or SSE (`data:` lines) response body. */
function findAnswer(body: string, id: number): RpcAnswer | undefined {
  const candidates = body.trimStart().startsWith('{') ? [body] : sseData(body);
  for (const text of candidates) {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      continue;
    }
    if (typeof m === 'object' && m !== null && (m as RpcAnswer).id === id) return m as RpcAnswer;
  }
  return undefined;
}

/** The data of each SSE event, multi-line data joined as the SSE spec says. */
function sseData(body: string): string[] {
  const out: string[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) out.push(data.join('\n'));
  }
  return out;
}

/**
 * Classifies one `tools/call` answer. `expect` looks at the result of a call that was not refused
 * and returns why it is not this call's answer (a missing or wrong nonce), or undefined.
 */
export function classifyAnswer(status: number, body: string, id: number, expect: (result: Record<string, unknown>) => string | undefined): Outcome {
  const m = findAnswer(body, id);
  if (m === undefined) return { kind: 'failed', detail: `HTTP ${status}, no answer with id ${id}: ${body.slice(0, 200)}` };
  if (m.error !== undefined) {
    if (m.error.data?.code === 'REGATE_ERR_POLICY_DENIED') return { kind: 'denied', rule: String(m.error.data.rule ?? '?') };
    return { kind: 'failed', detail: `JSON-RPC error: ${String(m.error.message).slice(0, 200)}` };
  }
  if (typeof m.result !== 'object' || m.result === null) return { kind: 'failed', detail: 'no result' };
  const decision = m.result._meta?.['regate/decision'] as { rule?: unknown } | undefined;
  if (m.result.isError === true) {
    if (decision !== undefined) return { kind: 'denied', rule: String(decision.rule ?? '?') };
    return { kind: 'failed', detail: `tool error: ${JSON.stringify(m.result).slice(0, 200)}` };
  }
  if (status !== 200) return { kind: 'failed', detail: `HTTP ${status} with a result` };
  const wrong = expect(m.result);
  return wrong === undefined ? { kind: 'ok' } : { kind: 'failed', detail: wrong };
}

/** The minimal upstream's check: the result carries this call's nonce. */
export function echoesNonce(nonce: string): (result: Record<string, unknown>) => string | undefined {
  return (result) => {
    const got = (result.structuredContent as { nonce?: unknown } | undefined)?.nonce;
    return got === nonce ? undefined : `nonce mismatch: sent ${nonce}, got ${JSON.stringify(got)}`;
  };
}

/** The demo CRM's check: the result is the record of the customer this call asked for. */
export function returnsCustomer(customerId: string): (result: Record<string, unknown>) => string | undefined {
  return (result) => {
    const got = (result.structuredContent as { customer?: { id?: unknown } } | undefined)?.customer?.id;
    return got === customerId ? undefined : `customer mismatch: asked for ${customerId}, got ${JSON.stringify(got)}`;
  };
}

/** The fields of a demo customer the default policy masks in a get_customer answer, as the upstream holds them. */
export interface ClearCustomer {
  readonly id: string;
  readonly email: string;
  readonly phone: string;
  readonly card_number: string;
  readonly iban: string;
}

/**
 * The masked scenario's check: the record asked for, and, when `masked`, none of the fields the
 * default policy masks (email, phone, card number, IBAN) in clear anywhere in the result.
 */
export function returnsMaskedCustomer(clear: ClearCustomer, masked: boolean): (result: Record<string, unknown>) => string | undefined {
  const same = returnsCustomer(clear.id);
  return (result) => {
    const wrong = same(result);
    if (wrong !== undefined || !masked) return wrong;
    const text = JSON.stringify(result);
    const leaked = (['email', 'phone', 'card_number', 'iban'] as const).filter((f) => text.includes(clear[f]));
    return leaked.length === 0 ? undefined : `${clear.id}: ${leaked.join(', ')} in clear`;
  };
}
