/** The what-if report as Markdown, CSV (one row per group) or JSON. Pure. */
import type { WhatIfReport } from './run.ts';

export function formatWhatIfMarkdown(r: WhatIfReport): string {
  const out = [
    `# What-if: bundle ${r.bundle} (revision ${r.revision})`,
    '',
    `Recorded requests from ${r.since} to ${r.until} (${r.source}): ${r.decided} re-decided, ${r.changed} would change, ${r.unchanged} unchanged, ${r.unpaired} without a recorded decision.`,
    '',
  ];
  if (r.changed === 0) return [...out, 'No recorded decision would change.', ''].join('\n');
  out.push('| change | count |', '|---|---|', ...Object.entries(r.by_change).map(([k, v]) => `| ${k} | ${v} |`), '');
  for (const g of r.groups) {
    out.push(`## ${g.change} by ${g.rule}: ${g.principal_id} on ${g.connection} (${g.count})`, '');
    for (const e of g.examples) {
      out.push(`- ${e.time} ${e.method}${e.tool ? ` ${e.tool}` : ''} (call ${e.call_id}, session ${e.session_id || '-'}): was ${e.old_rule}; now ${e.new_rule}: ${e.new_reason}${e.new_masks.length ? `; new masks ${e.new_masks.join(', ')}` : ''}`);
    }
    out.push('');
  }
  return out.join('\n');
}

export function formatWhatIfCsv(r: WhatIfReport): string {
  const cell = (v: string | number) => {
    const s = /^[=+\-@]/.test(String(v)) ? `'${v}` : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows: (string | number)[][] = [['change', 'rule', 'principal_id', 'connection', 'count', 'example_call_ids']];
  for (const g of r.groups) rows.push([g.change, g.rule, g.principal_id, g.connection, g.count, g.examples.map((e) => e.call_id).join(' ')]);
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
