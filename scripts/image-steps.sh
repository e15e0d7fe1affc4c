#!/usr/bin/env bash
# The Dockerfile's build and run steps, without Docker (no engine on CI): compile with tsc, install
# production dependencies only into a staging folder, then run the compiled bin from there the way
# the container does. Keeps the Dockerfile honest.
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

npm run build
cp -r package.json package-lock.json dist bundles "$stage"/ 2>/dev/null || cp -r package.json package-lock.json dist "$stage"/
[ -d examples ] && cp -r examples "$stage"/
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
(cd "$stage" && "$OLDPWD/$node" dist/main.js --help >/dev/null)
(cd "$stage" && "$OLDPWD/$node" dist/main.js config --config examples/regate.yaml >/dev/null)
echo "image steps: compiled bin runs with production dependencies only"
