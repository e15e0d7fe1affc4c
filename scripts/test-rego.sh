#!/usr/bin/env bash
# Checks and tests the Rego policy in rego/ with the pinned opa CLI:
#   opa fmt (no diff), opa check --strict, opa test, and a line-coverage threshold computed over
#   the policy files only (test files are always fully covered and would inflate the figure).
# Usage: scripts/test-rego.sh [--threshold PERCENT]   (default 90)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
opa="$here/.tools/bin/opa"
node="$here/node_modules/.bin/node"
threshold=90
while [ $# -gt 0 ]; do
  case "$1" in
    --threshold) threshold="$2"; shift 2 ;;
    *) echo "test-rego: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$opa" ] || { echo "test-rego: $opa missing; run scripts/ensure-tools.sh" >&2; exit 1; }
cd "$here"

unformatted=$("$opa" fmt -l rego/)
if [ -n "$unformatted" ]; then
  echo "test-rego: not formatted (run: .tools/bin/opa fmt -w rego/):" >&2
  echo "$unformatted" >&2
  exit 1
fi
"$opa" check --strict rego/
"$opa" test rego/

report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$opa" test rego/ --coverage --format=json >"$report"
"$node" -e '
  const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const threshold = Number(process.argv[2]);
  // Count lines, not ranges: several covered expressions can share one line.
  let covered = 0, total = 0;
  const lines = (ranges) => {
    const set = new Set();
    for (const r of ranges ?? []) for (let row = r.start.row; row <= r.end.row; row++) set.add(row);
    return set;
  };
  for (const [file, f] of Object.entries(report.files ?? {})) {
    if (file.endsWith("_test.rego")) continue;
    const missed = lines(f.not_covered);
    const hit = [...lines(f.covered)].filter((row) => !missed.has(row));
    covered += hit.length; total += hit.length + missed.size;
    for (const r of f.not_covered ?? []) console.log(`  not covered: ${file}:${r.start.row}-${r.end.row}`);
  }
  const pct = total === 0 ? 0 : (100 * covered) / total;
  console.log(`test-rego: policy line coverage ${pct.toFixed(1)}% (threshold ${threshold}%)`);
  if (pct < threshold) { console.error("test-rego: coverage below threshold"); process.exit(1); }
' "$report" "$threshold"
