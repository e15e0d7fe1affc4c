/**
 * The access review as one self-contained HTML page: inline CSS, an inline SVG chart, no script
 * and no external asset, so it opens from a mail attachment or an evidence archive years later.
 * Figures carry `data-figure` attributes (the browser test reads them).
 */
import type { AccessReview, TimelinePoint } from './model.ts';
import { countsText } from './format-text.ts';
import { escapeHtml } from '../../text/html.ts';


const sumOf = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

/** Calls (bars) and denials (red bars in front) per bucket, as an SVG. */
export function timelineSvg(points: readonly TimelinePoint[], bucket: string): string {
  const w = 760;
  const h = 200;
  const pad = 30;
  const max = Math.max(1, ...points.map((p) => p.calls));
  const bw = (w - 2 * pad) / Math.max(1, points.length);
  const y = (v: number) => h - pad - (v / max) * (h - 2 * pad);
  const bars = points
    .map((p, i) => {
      const x = pad + i * bw;
      const title = `${p.start}: ${p.calls} calls, ${p.denials} denials`;
      return (
        `<rect class="calls" x="${x.toFixed(1)}" y="${y(p.calls).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(h - pad - y(p.calls)).toFixed(1)}" data-calls="${p.calls}"><title>${escapeHtml(title)}</title></rect>` +
        `<rect class="denials" x="${x.toFixed(1)}" y="${y(p.denials).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(h - pad - y(p.denials)).toFixed(1)}" data-denials="${p.denials}"/>`
      );
    })
    .join('');
  const first = points[0]?.start.slice(0, 16).replace('T', ' ') ?? '';
  const last = points.at(-1)?.start.slice(0, 16).replace('T', ' ') ?? '';
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="calls and denials per ${bucket}">
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#888"/>
<text x="${pad}" y="${pad - 10}" font-size="11">max ${max} calls per ${bucket}</text>
${bars}
<text x="${pad}" y="${h - 8}" font-size="11">${escapeHtml(first)}</text><text x="${w - pad}" y="${h - 8}" font-size="11" text-anchor="end">${escapeHtml(last)}</text>
</svg>`;
}

function tableHtml(head: string[], rows: (string | number)[][], attrs = ''): string {
  return `<table${attrs}><thead><tr>${head.map((x) => `<th>${escapeHtml(x)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function formatHtml(r: AccessReview): string {
  const s = r.summary;
  const figure = (name: string, label: string, value: number) =>
    `<div class="figure"><div class="value" data-figure="${name}">${value}</div><div class="label">${escapeHtml(label)}</div></div>`;
  const detectors = [...new Set([...Object.keys(s.masked), ...Object.keys(s.exposed)])].sort();
  const exposure = detectors.length
    ? `<table id="exposure"><thead><tr><th>detector</th><th>masked</th><th>exposed</th></tr></thead><tbody>${detectors
        .map((d) => `<tr data-detector="${escapeHtml(d)}"><td>${escapeHtml(d)}</td><td class="masked">${s.masked[d] ?? 0}</td><td class="exposed">${s.exposed[d] ?? 0}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>Nothing masked or exposed.</p>';
  const unapproved =
    s.unapproved !== undefined
      ? `<p class="warn">Calls that ran without approval where bundle ${escapeHtml(s.unapproved.bundle)} (revision ${escapeHtml(s.unapproved.revision)}) would ask for one: <strong data-figure="unapproved">${s.unapproved.count}</strong></p>`
      : `<p class="note">${escapeHtml(s.unapproved_note ?? '')}</p>`;
  const connections = [...new Set(r.principals.map((p) => p.connection))]
    .map((c) => {
      const rows = r.principals
        .filter((p) => p.connection === c)
        .map((p) => [
          p.principal_name && p.principal_name !== p.principal_id ? `${p.principal_name} (${p.principal_id})` : p.principal_id,
          p.calls, countsText(p.tools), p.denials, countsText(p.denials_by_rule),
          `${p.approvals.requested}/${p.approvals.granted}/${p.approvals.denied}`, countsText(p.approvals.approvers), p.approvals.justifications.join(' | '),
          sumOf(p.masked), sumOf(p.exposed), p.sessions, p.first_seen, p.last_seen,
        ]);
      return `<section class="connection" data-connection="${escapeHtml(c)}"><h2>Connection ${escapeHtml(c)}</h2>${tableHtml(
        ['principal', 'calls', 'tools', 'denials', 'denials by rule', 'approvals req/granted/denied', 'approvers', 'justifications', 'masked', 'exposed', 'sessions', 'first seen', 'last seen'],
        rows,
      )}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>regate access review ${escapeHtml(r.since.slice(0, 10))} to ${escapeHtml(r.until.slice(0, 10))}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
.figures{display:flex;flex-wrap:wrap;gap:12px}.figure{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:110px}
.value{font-size:24px;font-weight:600}.label{color:#555}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
rect.calls{fill:#4a7bd0}rect.denials{fill:#d04a4a}.warn{color:#a00}.note{color:#666}.meta{color:#555}
</style></head><body>
<h1>Access review</h1>
<p class="meta">From ${escapeHtml(r.since)} to ${escapeHtml(r.until)}${r.filters.connection ? `, connection ${escapeHtml(r.filters.connection)}` : ''}${r.filters.principal ? `, principal ${escapeHtml(r.filters.principal)}` : ''}. Source: ${escapeHtml(r.source)}. Generated ${escapeHtml(r.generated_at)}. ${r.events.read} events read, ${r.events.duplicates} duplicates skipped.</p>
<div class="figures">
${figure('principals', 'principals', s.principals)}${figure('connections', 'connections', s.connections)}${figure('calls', 'calls', s.calls)}${figure('tool_calls', 'tool calls', s.tool_calls)}${figure('denials', 'denials', s.denials)}
${figure('approvals_requested', 'approvals requested', s.approvals_requested)}${figure('approvals_granted', 'approvals granted', s.approvals_granted)}${figure('approvals_denied', 'approvals denied', s.approvals_denied)}
${figure('sessions', 'sessions', s.sessions)}${figure('masked_total', 'values masked', s.masked_total)}${figure('exposed_total', 'values exposed', s.exposed_total)}
</div>
${unapproved}
<h2>Calls and denials per ${r.timeline.bucket}</h2>
${timelineSvg(r.timeline.points, r.timeline.bucket)}
<h2>Exposure by detector</h2>
${exposure}
${connections}
</body></html>
`;
}
