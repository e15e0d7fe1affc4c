import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { sharedKeyFile, startApprovalGateway, startCountingUpstream, toolCall, type ApprovalGateway } from '../../helpers/approvals.ts';
import { assertLoopbackSessionCookie, reloadUntilListed } from '../../helpers/approval-page.ts';
import { REPO } from '../../helpers/gateway.ts';
import { postMcp } from '../../helpers/mcp-http.ts';

const ARTIFACTS = join(REPO, 'test-artifacts/approvals');

/**
 * An approver in a real browser (Debian chromium through playwright-core): signs in (dev sign-in),
 * sees the pending call with its justification and redacted arguments, approves it with a comment,
 * and the held call completes. Screenshots are kept in test-artifacts/approvals/.
 */
describe('approval page in chromium', function () {
  this.timeout(60_000);
  let up: RawUpstream & { calls(tool: string): number };
  let gw: ApprovalGateway;
  let browser: Browser;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    up = await startCountingUpstream();
    gw = await startApprovalGateway({ connections: [{ name: 'crm', url: up.url }], approvals: { timeout_seconds: 60, recheck_seconds: 1 } }, await sharedKeyFile());
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await gw?.stop();
    await up?.close();
  });

  it('signs in, shows the pending call with its justification, approves it, and the held call completes', async () => {
    const agent = await gw.token('agent', ['mcp-readers'], 'Agent Smith');
    const approver = await gw.token('boss', ['mcp-approvers'], 'The Boss');
    const held = postMcp(`${gw.url}/mcp/crm`, toolCall(1, 'delete_customer', { id: 'cus_007' }, { 'regate/justification': 'customer asked to be forgotten (ticket 4711)' }), {
      headers: { authorization: `Bearer ${agent}` },
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${gw.url}/approvals`);
    assert.match(page.url(), /\/approvals\/sign-in$/);
    await page.fill('#token', approver);
    await page.screenshot({ path: join(ARTIFACTS, '1-sign-in.png') });
    await page.click('button[type=submit]');
    await page.waitForURL(/\/approvals$/);

    await assertLoopbackSessionCookie(context);
    await reloadUntilListed(page, 'delete_customer');
    assert.match(await page.content(), /customer asked to be forgotten \(ticket 4711\)/);
    await page.screenshot({ path: join(ARTIFACTS, '2-list.png') });
    await page.click('a:has-text("delete_customer")');
    assert.equal(await page.textContent('#justification'), 'customer asked to be forgotten (ticket 4711)');
    assert.match((await page.textContent('#arguments')) ?? '', /"id": "cus_007"/);
    const detailUrl = page.url();

    // A forged form (right session cookie, wrong CSRF token) is refused.
    const forged = await context.request.post(`${detailUrl}/decide`, { form: { csrf: 'forged', decision: 'approve' }, maxRedirects: 0 });
    assert.equal(forged.status(), 403);
    assert.equal(up.calls('delete_customer'), 0);

    await page.fill('#comment', 'verified the ticket');
    await page.screenshot({ path: join(ARTIFACTS, '3-detail.png') });
    await page.click('button.approve');
    await page.waitForSelector('text=You approved this request.');
    assert.match((await page.textContent('#status')) ?? '', /approved|used/);
    await page.screenshot({ path: join(ARTIFACTS, '4-approved.png') });

    const answer = (await held).items.find((i) => i.kind === 'message')?.message as { result?: { isError?: boolean; content: Array<{ text: string }> } };
    assert.equal(answer.result?.isError, undefined, JSON.stringify(answer));
    assert.match(answer.result!.content[0]!.text, /ran delete_customer/);
    assert.equal(up.calls('delete_customer'), 1);
    await context.close();
  });

  it('sends a browser without a session to sign in, and an API client without a token gets 401', async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/approvals/${'A'.repeat(43)}`);
    assert.match(page.url(), /\/approvals\/sign-in$/);
    await page.close();
    assert.equal((await fetch(`${gw.url}/approvals`, { headers: { accept: 'application/json' } })).status, 401);
  });
});
