import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startGateway } from '../../../src/compose.ts';
import { buildConfig } from '../../../src/config/load.ts';
import { createLogger } from '../../../src/log.ts';
import type { RawUpstream } from '../../fixtures/raw-upstream.ts';
import { assertLoopbackSessionCookie, reloadUntilListed } from '../../helpers/approval-page.ts';
import { api, startCountingUpstream, toolCall, waitForPending } from '../../helpers/approvals.ts';
import { REPO } from '../../helpers/gateway.ts';
import { TestIssuer } from '../../helpers/issuer.ts';
import { postMcp } from '../../helpers/mcp-http.ts';
import { connectStreamableHttp } from '../../helpers/peers.ts';
import { fetchTrusting, testCa, type TestCa } from '../../helpers/test-ca.ts';

const ARTIFACTS = join(REPO, 'test-artifacts/approvals-oidc');
const CLIENT = { client_id: 'regate-approval-page', client_secret: 'page-secret-0123456789' };
const API_AUDIENCE = 'api://regate';
const BOSS = { sub: 'boss-sub', name: 'The Boss', preferred_username: 'boss@example.com', groups: ['mcp-approvers'] };
const CLERK = { sub: 'clerk-sub', name: 'A Clerk', preferred_username: 'clerk@example.com', groups: ['mcp-readers'] };

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** A gateway with approvals and `approvals.signin` for `auth`, trusting the test CA; registers its callback with the issuer. */
async function startSignInGateway(issuer: TestIssuer, ca: TestCa, auth: Record<string, unknown>, upstreamUrl: string): Promise<{ gw: Gateway; url: string }> {
  const config = buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: auth as never,
      connections: [{ name: 'crm', url: upstreamUrl }],
      approvals: { timeout_seconds: 60, recheck_seconds: 1, signin: CLIENT },
    },
    {},
  );
  const gw = await startGateway(config, { baseDir: REPO, log: createLogger(process.env.REGATE_TEST_LOG ?? 'silent'), identityOverrides: { fetch: fetchTrusting(ca.caPem) } });
  issuer.registerClient({ ...CLIENT, redirect_uris: [`${gw.regate.url}/approvals/callback`] });
  return { gw, url: gw.regate.url };
}

/**
 * Follows a sign-in by hand from `start` (a page path or the sign-in route) up to the callback:
 * the state cookie and the callback URL the issuer sent back.
 */
async function followToCallback(url: string, ca: TestCa, start = '/approvals/sign-in'): Promise<{ stateCookie: string; callback: URL; authorize: URL }> {
  let res = await fetch(`${url}${start}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  if (!res.headers.get('location')?.startsWith('https:')) res = await fetch(new URL(res.headers.get('location')!, url), { redirect: 'manual' });
  assert.equal(res.status, 303);
  const stateCookie = res.headers.getSetCookie().find((c) => c.startsWith('regate_oidc_state='))!.split(';')[0]!;
  const authorize = new URL(res.headers.get('location')!);
  const back = await fetchTrusting(ca.caPem)(authorize.href, { method: 'GET' });
  assert.equal(back.status, 302);
  return { stateCookie, callback: new URL(back.headers.get('location')!), authorize };
}

/** Completes a followed sign-in; returns the session cookie and the page the callback answered with. */
async function finishSignIn(at: { stateCookie: string; callback: URL }): Promise<{ cookie: string; html: string }> {
  const done = await fetch(at.callback, { headers: { cookie: at.stateCookie } });
  const html = await done.text();
  assert.equal(done.status, 200, html);
  return { cookie: done.headers.getSetCookie().find((c) => c.startsWith('regate_approvals='))!.split(';')[0]!, html };
}

/** Base64 SHA-256 of a certificate's public key, for chromium's --ignore-certificate-errors-spki-list. */
function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * The approval page's OIDC sign-in (authorization code + PKCE) against the local HTTPS issuer,
 * with regate configured for `auth.provider: oidc` and `approvals.signin`. The browser is Debian
 * chromium through playwright-core; it trusts the issuer's certificate by its public key
 * (--ignore-certificate-errors-spki-list, honoured with playwright's own user-data-dir): only that
 * key, not certificate errors in general. The issuer is at `localhost` and the page at 127.0.0.1,
 * so the sign-in crosses sites as it does with a real issuer (SameSite rules apply).
 */
describe('approval page: OIDC sign-in (code + PKCE) in chromium', function () {
  this.timeout(90_000);
  let ca: TestCa;
  let issuer: TestIssuer;
  let up: RawUpstream & { calls(tool: string): number };
  let gw: Gateway;
  let url: string;
  let browser: Browser;

  const bearer = (who: { sub: string; name: string; groups: string[] }) =>
    issuer.sign({ iss: issuer.url, aud: API_AUDIENCE, ...who, exp: Math.floor(Date.now() / 1000) + 600 });

  const toCallback = () => followToCallback(url, ca);
  const signInAs = async (user: typeof BOSS): Promise<string> => {
    issuer.signInUser = user;
    return (await finishSignIn(await toCallback())).cookie;
  };

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    ca = await testCa();
    issuer = await TestIssuer.start({ ca, urlHost: 'localhost' });
    up = await startCountingUpstream({ sessions: true });
    ({ gw, url } = await startSignInGateway(issuer, ca, { provider: 'oidc', issuer: issuer.url, audience: [API_AUDIENCE] }, up.url));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', `--ignore-certificate-errors-spki-list=${spkiHash(ca.certPem)}`],
    });
  });
  after(async () => {
    await browser?.close();
    await gw?.regate.stop();
    await up?.close();
    await issuer?.close();
  });
  afterEach(() => {
    issuer.idTokenSigner = undefined;
  });

  it('signs an approver in through the issuer, shows the held call with its justification, approves it, and the SDK call completes', async () => {
    // The agent's client answers regate's "why?" form; the approver sees the answer.
    const agent = await connectStreamableHttp(`${url}/mcp/crm`, {
      headers: { authorization: `Bearer ${await bearer({ sub: 'agent-sub', name: 'Agent Smith', groups: ['mcp-readers'] })}` },
      elicit: () => ({ action: 'accept', content: { justification: 'customer asked to be forgotten (ticket 4711)' } }),
    });
    const held = agent.client.callTool({ name: 'delete_customer', arguments: { id: 'cus_007' } }, undefined, { timeout: 60_000 });
    issuer.signInUser = BOSS;
    const grantsBefore = issuer.tokenGrants;
    const context = await browser.newContext();
    const page = await context.newPage();
    // Arrive from elsewhere (as from a link in a Teams notification): the whole sign-in is then a
    // cross-site navigation chain, in which browsers withhold SameSite=Strict cookies.
    await page.setContent(`<a id="from-chat" href="${url}/approvals">pending approvals</a>`);
    await page.click('#from-chat');
    await page.waitForURL(/\/approvals$/);
    const authorize = issuer.authorizeRequests.at(-1)!;
    assert.deepEqual(
      [authorize.get('code_challenge_method'), authorize.get('response_type'), authorize.get('redirect_uri'), authorize.get('scope')?.split(' ').includes('openid')],
      ['S256', 'code', `${url}/approvals/callback`, true],
    );
    assert.ok((authorize.get('state') ?? '').length >= 32 && (authorize.get('nonce') ?? '').length >= 32, 'state and nonce');
    assert.equal(issuer.tokenGrants, grantsBefore + 1, 'one code exchanged');

    await assertLoopbackSessionCookie(context);
    assert.match((await page.textContent('header')) ?? '', /boss@example\.com/);
    await reloadUntilListed(page, 'delete_customer');
    assert.match(await page.content(), /customer asked to be forgotten \(ticket 4711\)/);
    await page.screenshot({ path: join(ARTIFACTS, '1-list-after-oidc-sign-in.png') });
    await page.click('a:has-text("delete_customer")');
    assert.equal(await page.textContent('#justification'), 'customer asked to be forgotten (ticket 4711)');
    await page.fill('#comment', 'verified the ticket');
    await page.screenshot({ path: join(ARTIFACTS, '2-detail.png') });
    await page.click('button.approve');
    await page.waitForSelector('text=You approved this request.');
    await page.screenshot({ path: join(ARTIFACTS, '3-approved.png') });

    const result = (await held) as { isError?: boolean; content: Array<{ text: string }> };
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.match(result.content[0]!.text, /ran delete_customer/);
    assert.equal(up.calls('delete_customer'), 1);
    await agent.close();

    // Sign-out ends the session in the store: the old cookie no longer opens the page.
    const before = (await context.cookies()).find((c) => c.name === 'regate_approvals')!.value;
    await page.click('header button[type=submit]');
    await page.waitForURL(/\/approvals\/signed-out$/);
    await page.screenshot({ path: join(ARTIFACTS, '4-signed-out.png') });
    assert.equal((await context.cookies()).find((c) => c.name === 'regate_approvals'), undefined, 'cookie cleared');
    const replay = await fetch(`${url}/approvals`, { headers: { accept: 'text/html', cookie: `regate_approvals=${before}` }, redirect: 'manual' });
    assert.equal(replay.status, 303);
    assert.match(replay.headers.get('location') ?? '', /^\/approvals\/sign-in/);
    await context.close();
  });

  it('refuses a callback whose state does not match the browser’s, and uses each state once', async () => {
    issuer.signInUser = BOSS;
    const { stateCookie, callback } = await toCallback();
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-forged-state-forged-state-0000');
    const refused = await fetch(forged, { headers: { cookie: stateCookie, accept: 'text/html' } });
    const body = await refused.text();
    assert.equal(refused.status, 400);
    assert.match(body, /does not belong to a sign-in started in this browser/);
    assert.doesNotMatch(body, /\bat [\w.<>]+ \(/, 'no stack trace');
    assert.equal(refused.headers.getSetCookie().find((c) => c.startsWith('regate_approvals=')), undefined, 'no session');

    // The same answer without the browser's state cookie (another browser) is refused too.
    assert.equal((await fetch(callback)).status, 400);
    // The genuine answer works once; replaying it is refused.
    assert.equal((await fetch(callback, { headers: { cookie: stateCookie } })).status, 200);
    assert.equal((await fetch(callback, { headers: { cookie: stateCookie } })).status, 400);

    const page = await browser.newPage();
    await page.goto(forged.href);
    assert.match((await page.textContent('#reason')) ?? '', /does not belong/);
    await page.screenshot({ path: join(ARTIFACTS, '5-state-mismatch.png') });
    await page.close();
  });

  it('shows a clear error when consent is denied or the ID token is not signed by the issuer', async () => {
    issuer.signInUser = undefined;
    const denied = await toCallback();
    assert.equal(denied.callback.searchParams.get('error'), 'access_denied');
    const deniedPage = await fetch(denied.callback, { headers: { cookie: denied.stateCookie } });
    assert.equal(deniedPage.status, 401);
    assert.match(await deniedPage.text(), /did not sign you in: access_denied \(the user declined to consent\)/);

    issuer.signInUser = BOSS;
    issuer.idTokenSigner = (claims) => issuer.signWithForeignKey(claims, issuer.currentKid);
    const forged = await toCallback();
    const forgedPage = await fetch(forged.callback, { headers: { cookie: forged.stateCookie } });
    assert.equal(forgedPage.status, 401);
    assert.match(await forgedPage.text(), /did not sign you in/);
    assert.equal(forgedPage.headers.getSetCookie().find((c) => c.startsWith('regate_approvals=')), undefined, 'no session');
  });

  it('lets a signed-in non-approver see nothing to decide and refuses their decision with 403', async () => {
    const ran = up.calls('delete_customer');
    const agentToken = await bearer({ sub: 'agent-2', name: 'Agent Two', groups: ['mcp-readers'] });
    const held = postMcp(`${url}/mcp/crm`, toolCall(7, 'delete_customer', { id: 'cus_008' }), { headers: { authorization: `Bearer ${agentToken}` } });
    const bossToken = await bearer(BOSS);
    const [pending] = await waitForPending(url, bossToken);
    const id = String(pending!.id);

    const clerk = await signInAs(CLERK);
    const list = await fetch(`${url}/approvals`, { headers: { accept: 'text/html', cookie: clerk } });
    const html = await list.text();
    assert.equal(list.status, 200);
    assert.doesNotMatch(html, /cus_008|delete_customer/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const vote = await fetch(`${url}/approvals/${id}/decide`, {
      method: 'POST',
      headers: { cookie: clerk, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, decision: 'approve' }).toString(),
    });
    assert.equal(vote.status, 403);
    assert.equal(up.calls('delete_customer'), ran, 'not forwarded');

    assert.equal((await api(url, bossToken, `/approvals/${id}/deny`, { comment: 'not today' })).status, 200);
    const answer = (await held).items.find((i) => i.kind === 'message')?.message as { result?: { isError?: boolean } };
    assert.equal(answer.result?.isError, true);
  });
});

/**
 * The same sign-in with `auth.provider: entra`: discovery at the tenant's v2.0 issuer under
 * authority_host, an Entra-shaped ID token (oid, tid, preferred_username, groups) mapped by the
 * bearer path's Entra mapping, and a return to the request page the person asked for.
 */
describe('approval page: Entra sign-in (tenant v2.0 issuer)', function () {
  this.timeout(60_000);
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  let ca: TestCa;
  let issuer: TestIssuer;
  let tenantIssuer: string;
  let up: RawUpstream & { calls(tool: string): number };
  let gw: Gateway;
  let url: string;

  before(async () => {
    ca = await testCa();
    issuer = await TestIssuer.start({ ca });
    tenantIssuer = `${issuer.url}/${TENANT}/v2.0`;
    issuer.setMetadataIssuer(tenantIssuer);
    up = await startCountingUpstream();
    ({ gw, url } = await startSignInGateway(issuer, ca, { provider: 'entra', tenant_id: TENANT, audience: [API_AUDIENCE], authority_host: issuer.url, issuers: [tenantIssuer], groups_overage: { enabled: false } }, up.url));
  });
  after(async () => {
    await gw?.regate.stop();
    await up?.close();
    await issuer?.close();
  });

  it('signs an Entra user in and returns them to the request page they opened', async () => {
    const entraToken = (oid: string, groups: string[], scp?: string) =>
      issuer.sign({ iss: tenantIssuer, aud: API_AUDIENCE, oid, tid: TENANT, preferred_username: `${oid}@contoso.example`, groups, ...(scp ? { scp } : {}), exp: Math.floor(Date.now() / 1000) + 600 });
    const held = postMcp(`${url}/mcp/crm`, toolCall(1, 'delete_customer', { id: 'cus_9' }), { headers: { authorization: `Bearer ${await entraToken('agent-oid', ['mcp-readers'], 'mcp.call')}` } });
    const [pending] = await waitForPending(url, await entraToken('boss-oid', ['mcp-approvers'], 'mcp.call'));
    const id = String(pending!.id);

    issuer.signInUser = { sub: 'pairwise-sub', oid: 'boss-oid', tid: TENANT, preferred_username: 'boss@contoso.example', name: 'The Boss', groups: ['mcp-approvers'] };
    const at = await followToCallback(url, ca, `/approvals/${id}`);
    assert.equal(`${at.authorize.origin}${at.authorize.pathname}`, `${issuer.url}/oauth2/v2.0/authorize`);
    const { cookie: session, html: moveOn } = await finishSignIn(at);
    assert.match(moveOn, new RegExp(`url=/approvals/${id}"`), 'back to the request page');
    const detail = await fetch(`${url}/approvals/${id}`, { headers: { accept: 'text/html', cookie: session } });
    const html = await detail.text();
    assert.equal(detail.status, 200);
    assert.match(html, /boss@contoso\.example/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const vote = await fetch(`${url}/approvals/${id}/decide`, {
      method: 'POST',
      headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, decision: 'approve', comment: 'ok' }).toString(),
    });
    assert.equal(vote.status, 200);
    const answer = (await held).items.find((i) => i.kind === 'message')?.message as { result?: { isError?: boolean } };
    assert.notEqual(answer.result?.isError, true, JSON.stringify(answer));
    assert.equal(up.calls('delete_customer'), 1);
  });
});
