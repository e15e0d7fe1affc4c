#!/usr/bin/env bash
# The whole test suite, as CI runs it: toolchain check, type check, Rego tests, then mocha
# (unit + integration, with real redis-server, opa and MCP peers) under c8 coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
export PATH="$PWD/.tools/bin:$PATH"

echo "== type check"
tsc -p tsconfig.test.json

if [ -f scripts/test-rego.sh ]; then
  echo "== rego (opa check --strict, opa test --coverage)"
  bash scripts/test-rego.sh
fi

echo "== mocha"
c8 --reporter=text-summary --reporter=lcov --src src mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' "$@"
