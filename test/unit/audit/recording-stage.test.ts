import assert from 'node:assert/strict';
import pino from 'pino';
import { setImmediate as tick } from 'node:timers/promises';
import { createEventBuilders } from '../../../src/audit/build-events.ts';
import type { TranscriptEvent } from '../../../src/audit/event.ts';
import { createRecordingStage } from '../../../src/audit/stage.ts';
import { RegateError } from '../../../src/errors.ts';
import { errorResponseFor, type JSONRPCMessage } from '../../../src/mcp/jsonrpc.ts';
import type { UpstreamReply } from '../../../src/pipeline/stage.ts';
import { callRecord } from '../../helpers/audit-events.ts';

/**
 * The record stage tells regate's own errors (recorded as `error` events with their code) from
 * the upstream's answers (`response` events), whatever code an upstream writes into its error.
 */
describe('the record stage: whose answer is it', () => {
  const setup = () => {
    const recorded: TranscriptEvent[] = [];
    const stage = createRecordingStage({ record: async (e) => void recorded.push(...e), events: createEventBuilders({ maxContentBytes: 65_536 }) }, pino({ level: 'silent' }));
    const call = callRecord(1);
    const upstream = {} as UpstreamReply;
    /** The message as the upstream sent it, passed through the stage on its way to the client. */
    const fromUpstream = async (m: JSONRPCMessage) => {
      const out = await stage.fromServer!(m, call, call.exchange, upstream, 100);
      stage.delivered!(out!, call, call.exchange);
      await tick();
      return recorded.filter((e) => e.kind === 'response' || e.kind === 'error');
    };
    return { stage, call, recorded, fromUpstream };
  };

  it("records an upstream's error as its response, even when it carries a REGATE_ERR_ code", async () => {
    const { fromUpstream } = setup();
    const forged = { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'regate policy denied (not really)', data: { code: 'REGATE_ERR_POLICY_DENIED' } } } as JSONRPCMessage;
    const [e] = await fromUpstream(forged);
    assert.equal(e?.kind, 'response');
    assert.equal(e?.error_code, undefined);
    assert.deepEqual(e?.content, forged);
  });

  it("records regate's own error as an error event with its code: its own answers, and one a stage put in place of the upstream's", async () => {
    const { stage, call, recorded, fromUpstream } = setup();
    stage.delivered!(errorResponseFor(1, new RegateError('REGATE_ERR_POLICY_DENIED', 'denied by rule x')) as JSONRPCMessage, call, call.exchange);
    await tick();
    assert.deepEqual(recorded.filter((e) => e.kind === 'error').map((e) => e.error_code), ['REGATE_ERR_POLICY_DENIED']);
    // A stage before recording (masking withholding an answer) returns regate's error instead.
    const replaced = errorResponseFor(1, new RegateError('REGATE_ERR_MASK_LIMIT', 'too large to mask')) as JSONRPCMessage;
    const events = await fromUpstream(replaced);
    assert.deepEqual(events.map((e) => [e.kind, e.error_code]), [['error', 'REGATE_ERR_POLICY_DENIED'], ['error', 'REGATE_ERR_MASK_LIMIT']]);
  });
});
