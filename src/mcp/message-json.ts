/**
 * The JSON text of a parsed client message, serialized once per message object: the request
 * event's size and the upstream request body are the same text. Parsed messages are never changed
 * in place (a stage that rewrites a message builds a new object, `CallRecord.forwarded`), so the
 * text of an object stays its text.
 */
import type { JSONRPCMessage } from './jsonrpc.ts';

const jsonOf = new WeakMap<JSONRPCMessage, string>();

/** `JSON.stringify(message)`, computed once per message object. */
export function messageJson(message: JSONRPCMessage): string {
  let json = jsonOf.get(message);
  if (json === undefined) {
    json = JSON.stringify(message);
    jsonOf.set(message, json);
  }
  return json;
}

/** The JSON of one message, or of several as an array (a batch), from each message's own text. */
export function messagesJson(messages: readonly JSONRPCMessage[], asArray: boolean): string {
  if (!asArray) return messageJson(messages[0]!);
  return `[${messages.map(messageJson).join(',')}]`;
}
