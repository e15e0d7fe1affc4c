/**
 * The approval page's HTML, server-rendered with no framework and no script: every value is
 * escaped where it is written, and forms post back to the same routes the JSON API uses.
 */
import type { ApprovalView } from '../../approvals/view.ts';
import { escapeHtml } from '../../text/html.ts';


const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.7rem 1.2rem;display:flex;justify-content:space-between;align-items:center}
header form{margin:0}main{max-width:60rem;margin:1.2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border-bottom:1px solid #dde;padding:.45rem .6rem;text-align:left;vertical-align:top}
pre{background:#fff;border:1px solid #dde;padding:.6rem;overflow:auto;max-height:20rem}
.status{font-weight:600}.pending{color:#9a6700}.approved,.used{color:#1a7f37}.denied,.expired,.cancelled{color:#cf222e}
textarea{width:100%;min-height:4rem}button{padding:.4rem 1rem;margin-right:.5rem}
.approve{background:#1a7f37;color:#fff;border:0}.deny{background:#cf222e;color:#fff;border:0}.note{color:#57606a}`;

/** A whole page. `who` is the signed-in person, with a sign-out form carrying the CSRF token. */
export function layout(title: string, body: string, who?: { name: string; csrf: string }): string {
  const user = who
    ? `<form method="post" action="/approvals/sign-out"><span>${escapeHtml(who.name)}</span> <input type="hidden" name="csrf" value="${escapeHtml(who.csrf)}"><button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · regate approvals</title><style>${STYLE}</style></head>
<body><header><strong>regate approvals</strong>${user}</header><main>${body}</main></body></html>`;
}

/** "3 min ago" / "in 4 min" relative to now. */
export function relative(iso: string, now: number): string {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(s);
  const text = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return s < 0 ? `${text} ago` : `in ${text}`;
}

/** The list of pending requests the signed-in person may decide. */
export function listPage(items: readonly ApprovalView[], now: number): string {
  if (items.length === 0) return '<h1>Pending approvals</h1><p class="note">Nothing waits for you. This page does not refresh by itself; reload it.</p>';
  const rows = items
    .map(
      (a) => `<tr><td><a href="/approvals/${escapeHtml(a.id)}">${escapeHtml(a.tool)}</a></td><td>${escapeHtml(a.connection)}</td><td>${escapeHtml(a.requester.name)}</td>
<td>${escapeHtml(a.justification)}</td><td>${escapeHtml(relative(a.created_at, now))}</td><td>${escapeHtml(relative(a.expires_at, now))}</td></tr>`,
    )
    .join('');
  return `<h1>Pending approvals</h1><table><thead><tr><th>Tool</th><th>Connection</th><th>Requested by</th><th>Justification</th><th>Asked</th><th>Expires</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** One request, with approve and deny forms when the person may decide it. */
export function detailPage(a: ApprovalView, now: number, csrf: string, flash?: string): string {
  const votes = a.votes.length
    ? `<h2>Votes</h2><ul>${a.votes.map((v) => `<li>${escapeHtml(v.name)}: ${escapeHtml(v.decision)} ${escapeHtml(relative(v.at, now))}${v.comment ? ` — “${escapeHtml(v.comment)}”` : ''}</li>`).join('')}</ul>`
    : '';
  const forms = a.can_decide
    ? `<h2>Decide</h2><form method="post" action="/approvals/${escapeHtml(a.id)}/decide"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="comment">Comment (shown to the requester)</label><textarea id="comment" name="comment" maxlength="1000"></textarea>
<p><button class="approve" type="submit" name="decision" value="approve">Approve</button><button class="deny" type="submit" name="decision" value="deny">Deny</button></p></form>`
    : `<p class="note">${a.status === 'pending' ? 'You cannot decide this request (you asked for it, you are not in an approver group, or you have voted).' : 'This request is decided.'}</p>`;
  return `${flash ? `<p class="status">${escapeHtml(flash)}</p>` : ''}<h1>${escapeHtml(a.tool)} on ${escapeHtml(a.connection)}</h1>
<table>
<tr><th>Status</th><td class="status ${escapeHtml(a.status)}" id="status">${escapeHtml(a.status)}${a.ended ? ` (${escapeHtml(a.ended)})` : ''}</td></tr>
<tr><th>Requested by</th><td>${escapeHtml(a.requester.name)} <span class="note">(${escapeHtml(a.requester.id)}, ${escapeHtml(a.requester.type)})</span></td></tr>
<tr><th>Justification</th><td id="justification">${escapeHtml(a.justification)}</td></tr>
${a.session_recorded ? `<tr><th>Session</th><td id="session">recorded <span class="note">(auditors: find decision <code>${escapeHtml(a.decision_id)}</code> in the transcripts, e.g. <code>regate review</code> or the KQL queries, then read its session's timeline with <code>GET /sessions/{id}</code> or <code>regate replay</code>)</span></td></tr>` : ''}
<tr><th>Why approval is needed</th><td>${escapeHtml(a.reason)} <span class="note">[rule ${escapeHtml(a.rule)}, bundle ${escapeHtml(a.bundle_revision || '-')}]</span></td></tr>
<tr><th>Approvers</th><td>${escapeHtml(a.min_approvals)} of ${escapeHtml(a.approvers.join(', '))} (${escapeHtml(a.approvals)} so far)</td></tr>
<tr><th>Asked</th><td>${escapeHtml(relative(a.created_at, now))} <span class="note">${escapeHtml(a.created_at)}</span></td></tr>
<tr><th>Expires</th><td>${escapeHtml(relative(a.expires_at, now))} <span class="note">${escapeHtml(a.expires_at)}</span></td></tr>
<tr><th>Mode</th><td>${escapeHtml(a.mode)}${a.mode === 'async' ? ` (the agent repeats the call; ${escapeHtml(a.max_uses)} use(s))` : ' (the agent waits)'}</td></tr>
</table>
<h2>Arguments <span class="note">(as the policy redacts them)</span></h2><pre id="arguments">${escapeHtml(JSON.stringify(a.arguments, null, 2))}</pre>
${votes}${forms}<p><a href="/approvals">All pending approvals</a></p>`;
}

/** Dev sign-in: paste a dev token (the embedded default prints one for the demo approver). */
export function devSignInPage(csrf: string, error?: string): string {
  return `<h1>Sign in</h1>${error ? `<p class="status denied">${escapeHtml(error)}</p>` : ''}
<p class="note">Development sign-in: paste a token from <code>regate token</code> (or the one <code>npm start</code> printed for the demo approver).</p>
<form method="post" action="/approvals/sign-in"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="token">Token</label><textarea id="token" name="token" required></textarea><p><button type="submit">Sign in</button></p></form>`;
}

/**
 * After the OIDC callback: a same-site hop to the page. The callback is reached by a cross-site
 * redirect from the issuer, and browsers withhold SameSite=Strict cookies for the rest of such a
 * redirect chain, so a plain 303 would land on the page without the new session.
 */
export function continuePage(next: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeHtml(next)}">
<title>Signed in · regate approvals</title></head><body><p>Signed in. <a href="${escapeHtml(next)}">Continue to the approval page</a>.</p></body></html>`;
}

/** After sign-out with OIDC: no automatic way back in, so the issuer does not sign the person in again at once. */
export function signedOutPage(): string {
  return '<h1>Signed out</h1><p>You are signed out of the approval page.</p><p><a id="sign-in" href="/approvals/sign-in">Sign in again</a></p>';
}

/** A failed OIDC sign-in: the reason in words (never a stack) and a way to start again. */
export function signInFailedPage(code: string, message: string): string {
  return `<h1>Sign-in failed</h1><p id="reason">${escapeHtml(message)}</p><p class="note">${escapeHtml(code)}</p><p><a href="/approvals/sign-in">Start again</a></p>`;
}
