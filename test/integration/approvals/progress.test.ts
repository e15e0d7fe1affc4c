import assert from 'node:assert/strict';
import pino from 'pino';
import { ApprovalBook } from '../../../src/approvals/book.ts';
import { createApprovalStage } from '../../../src/approvals/stage.ts';
import { ComponentRegistry } from '../../../src/components/component.ts';
import { buildConfig } from '../../../src/config/load.ts';
import { createEnforcement } from '../../../src/enforcement/create.ts';
import { Metrics } from '../../../src/http/metrics.ts';
import type { RunningRegate } from '../../../src/http/server.ts';
import { createIdentity, type Identity } from '../../../src/identity/create.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { startCountingUpstream, toolCall } from '../../helpers/approvals.ts';
import { REPO } from '../../helpers/gateway.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { startTestRegate } from '../../helpers/regate.ts';

/**
 * While a call waits for approval, its SSE answer carries keepalives and, for a client that gave a
 * progressToken, progress notifications saying who must approve and where. Built from the real
 * policy stage and approvals stage (the gateway's own parts) with a fast keepalive.
 */
describe('a call held for approval tells the client whom it waits for', function () {
  this.timeout(30_000);
  let up: RawUpstream & { calls(tool: string): number };
  let regate: RunningRegate;
  let identity: Identity;
  let book: ApprovalBook;

  before(async () => {
    up = await startCountingUpstream();
    const config = buildConfig(
      { connections: [{ name: 'crm', url: up.url }], listen: { host: '127.0.0.1', port: 0 }, auth: { provider: 'dev', dev: { enabled: true, key_file: null } }, approvals: { recheck_seconds: 0.2 } },
      {},
    );
    const log = pino({ level: 'silent' });
    const metrics = new Metrics();
    identity = await createIdentity(config.auth!, { logger: log, publicBaseUrl: 'http://127.0.0.1', baseDir: REPO });
    const enforcement = await createEnforcement(config, REPO, log, metrics);
    const components = new ComponentRegistry();
    components.add(enforcement.manager);
    book = new ApprovalBook({ store: new MemoryStore(), log });
    const approvals = createApprovalStage({ book, config: config.approvals!, pageUrl: () => 'https://regate.example.com/approvals', redecide: (c, a) => enforcement.stage.redecide(c, a), log });
    regate = await startTestRegate(
      { connections: config.connections, approvals: { recheck_seconds: 0.2 } },
      { identity, components, metrics, stages: [enforcement.stage, approvals], holdKeepaliveSeconds: 0.2 },
    );
  });
  after(async () => {
    await regate?.stop();
    await up?.close();
  });

  it('sends progress naming the approver groups and the page, then the upstream answer once approved', async () => {
    const agent = await identity.dev!.mint({ sub: 'agent', groups: ['mcp-readers'] });
    const body = toolCall(1, 'delete_customer', { id: 'c-1' }, { progressToken: 'p-1' });
    const answer = postMcp(`${regate.url}/mcp/crm`, body, { headers: { authorization: `Bearer ${agent}` } });
    let id: string | undefined;
    for (let i = 0; i < 100 && id === undefined; i++) {
      id = (await book.pending())[0]?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(id);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await book.vote(id, { id: 'boss', name: 'Boss', groups: ['mcp-approvers'] }, 'approve', undefined)).ok, true);
    const { items } = await answer;
    const progress = items.filter((i) => i.kind === 'message' && (i.message as { method?: string }).method === 'notifications/progress');
    assert.ok(progress.length >= 1, JSON.stringify(items));
    const params = (progress[0]!.message as { params: { progressToken: string; message: string } }).params;
    assert.equal(params.progressToken, 'p-1');
    assert.equal(params.message, `regate holds this call: waiting for approval by mcp-approvers at https://regate.example.com/approvals/${id}`);
    assert.ok(items.some((i) => i.kind === 'comment'), 'keepalives');
    const result = items.find((i) => i.kind === 'message' && (i.message as { id?: unknown }).id === 1)?.message as { result?: { content: Array<{ text: string }> } };
    assert.match(result.result!.content[0]!.text, /ran delete_customer/);
    assert.equal(up.calls('delete_customer'), 1);
  });
});
