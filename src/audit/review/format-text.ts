/**
 * The access review as Markdown, CSV and JSON. Pure: a review in, text out. The CSV has one row
 * per principal and connection plus a final `*`/`*` row of totals, so a spreadsheet needs no sums.
 */
import type { AccessReview, PrincipalReview } from './model.ts';

/** `k=v; k=v` for a count map (empty string when empty). */
export function countsText(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

const sumOf = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

export function formatJson(r: AccessReview): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export const CSV_COLUMNS = [
  'connection', 'principal_id', 'principal_name', 'principal_type', 'calls', 'tool_calls', 'tools', 'denials', 'denials_by_rule',
  'approvals_requested', 'approvals_granted', 'approvals_denied', 'approvals_expired', 'approvers', 'justifications',
  'masked_total', 'masked', 'exposed_total', 'exposed', 'errors', 'sessions', 'first_seen', 'last_seen',
] as const;

function csvCell(v: string | number): string {
  const s = String(v);
  // Cells starting with = + - @ are formulas to a spreadsheet: prefix them so they stay text.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvRow(p: PrincipalReview): (string | number)[] {
  const a = p.approvals;
  return [
    p.connection, p.principal_id, p.principal_name, p.principal_type, p.calls, sumOf(p.tools), countsText(p.tools), p.denials,
    countsText(p.denials_by_rule), a.requested, a.granted, a.denied, a.expired, countsText(a.approvers), a.justifications.join(' | '),
    sumOf(p.masked), countsText(p.masked), sumOf(p.exposed), countsText(p.exposed), p.errors, p.sessions, p.first_seen, p.last_seen,
  ];
}

export function formatCsv(r: AccessReview): string {
  const s = r.summary;
  const totals: (string | number)[] = [
    '*', '*', '', '', s.calls, s.tool_calls, '', s.denials, '', s.approvals_requested, s.approvals_granted, s.approvals_denied,
    r.principals.reduce((n, p) => n + p.approvals.expired, 0), '', '', s.masked_total, countsText(s.masked), s.exposed_total,
    countsText(s.exposed), s.errors, s.sessions, '', '',
  ];
  const rows = [[...CSV_COLUMNS], ...r.principals.map(csvRow), totals];
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function md(s: string | number): string {
  return String(s).replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n');
}

export function formatMarkdown(r: AccessReview): string {
  const s = r.summary;
  const out: string[] = [];
  out.push(`# Access review ${r.since.slice(0, 10)} to ${r.until.slice(0, 10)}`, '');
  const filters = [r.filters.connection && `connection ${r.filters.connection}`, r.filters.principal && `principal ${r.filters.principal}`].filter(Boolean);
  out.push(
    `From ${r.since} to ${r.until}${filters.length ? ` (${filters.join(', ')})` : ''}; source: ${r.source}; generated ${r.generated_at}.`,
    `${r.events.read} events read, ${r.events.duplicates} duplicates skipped (window ${r.events.dedupe_window} events), ${r.events.invalid} unreadable lines.`,
    '',
    '## Summary',
    '',
  );
  out.push(
    table(
      ['figure', 'value'],
      [
        ['principals', s.principals],
        ['connections', s.connections],
        ['calls', s.calls],
        ['tool calls', s.tool_calls],
        ['denials', s.denials],
        ['approvals requested', s.approvals_requested],
        ['approvals granted', s.approvals_granted],
        ['approvals denied', s.approvals_denied],
        ['errors', s.errors],
        ['sessions', s.sessions],
        ['values masked', s.masked_total],
        ['values exposed', s.exposed_total],
      ],
    ),
    '',
  );
  if (s.unapproved !== undefined) {
    const u = s.unapproved;
    out.push(`**Calls that ran without approval where bundle ${u.bundle} (revision ${u.revision}) would ask for one: ${u.count}.**`, '');
    if (u.examples.length > 0) out.push(table(['time', 'connection', 'principal', 'tool', 'rule'], u.examples.map((e) => [e.time, e.connection, e.principal_id, e.tool, e.rule])), '');
  } else if (s.unapproved_note) out.push(`_${s.unapproved_note}_`, '');
  out.push('## Exposure by detector', '');
  const detectors = [...new Set([...Object.keys(s.masked), ...Object.keys(s.exposed)])].sort();
  out.push(detectors.length ? table(['detector', 'masked', 'exposed'], detectors.map((d) => [d, s.masked[d] ?? 0, s.exposed[d] ?? 0])) : 'Nothing masked or exposed.', '');
  for (const connection of [...new Set(r.principals.map((p) => p.connection))]) {
    const ps = r.principals.filter((p) => p.connection === connection);
    out.push(`## Connection ${md(connection)}`, '');
    out.push(
      table(
        ['principal', 'calls', 'tool calls', 'denials', 'approvals (req/granted/denied)', 'masked', 'exposed', 'sessions', 'first seen', 'last seen'],
        ps.map((p) => [
          p.principal_name && p.principal_name !== p.principal_id ? `${p.principal_name} (${p.principal_id})` : p.principal_id,
          p.calls, sumOf(p.tools), p.denials, `${p.approvals.requested}/${p.approvals.granted}/${p.approvals.denied}`,
          sumOf(p.masked), sumOf(p.exposed), p.sessions, p.first_seen, p.last_seen,
        ]),
      ),
      '',
    );
    for (const p of ps) {
      out.push(`### ${md(p.principal_id)} on ${md(connection)}`, '');
      out.push(`- tools: ${md(countsText(p.tools) || 'none')}`);
      out.push(`- denials by rule: ${md(countsText(p.denials_by_rule) || 'none')}`);
      out.push(`- approvers: ${md(countsText(p.approvals.approvers) || 'none')}`);
      if (p.approvals.justifications.length) out.push(`- justifications: ${p.approvals.justifications.map((j) => `"${md(j)}"`).join(', ')}`);
      out.push(`- masked: ${md(countsText(p.masked) || 'none')}; exposed: ${md(countsText(p.exposed) || 'none')}`, '');
    }
  }
  return out.join('\n');
}
