/**
 * The credential stage: before anything else sees an upstream message (masking, recording, the
 * agent), the connection's own credential is removed from it, wherever the upstream put it (an
 * echoed header in a result, an error message, a log notification). Counted as masked under
 * `gateway_credential` and logged, since an upstream that does this is misbehaving.
 */
import type { Logger } from 'pino';
import { connectionSecrets } from '../config/connection-secrets.ts';
import type { JSONRPCMessage } from '../mcp/jsonrpc.ts';
import type { Stage } from '../pipeline/stage.ts';
import { scrubSecrets } from './gateway-secrets.ts';

export function createCredentialStage(o: { readonly log: Logger }): Stage {
  return {
    name: 'credentials',
    async fromServer(message, call, x) {
      const secrets = connectionSecrets(x.connection);
      if (secrets.length === 0) return message;
      const r = scrubSecrets(message, secrets);
      if (r.count === 0) return message;
      call.masked['gateway_credential'] = (call.masked['gateway_credential'] ?? 0) + r.count;
      o.log.warn({ connection: x.connection.name, method: call.method, count: r.count, request_id: x.requestId }, "upstream sent the gateway's own credential towards the client; removed");
      return r.value as JSONRPCMessage;
    },
  };
}
