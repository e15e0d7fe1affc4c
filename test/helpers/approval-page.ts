/**
 * What the approval-page browser tests (dev and OIDC sign-in) check alike: the page's session
 * cookie, and the list showing a held call once the gateway has registered it.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';

/** The signed-in approver's cookie: httpOnly, SameSite=Strict, scoped to /approvals, not Secure on loopback. */
export async function assertLoopbackSessionCookie(context: BrowserContext): Promise<void> {
  const session = (await context.cookies()).find((c) => c.name === 'regate_approvals');
  assert.ok(session, 'a session cookie');
  assert.deepEqual([session.httpOnly, session.sameSite, session.secure, session.path], [true, 'Strict', false, '/approvals'], 'httpOnly, SameSite, not Secure on loopback');
}

/** Reloads the list until `tool` shows (a held call may take a moment to be registered; bounded to ~5 s). */
export async function reloadUntilListed(page: Page, tool: string): Promise<void> {
  for (let i = 0; i < 50 && !(await page.content()).includes(tool); i++) {
    await new Promise((r) => setTimeout(r, 100));
    await page.reload();
  }
}
