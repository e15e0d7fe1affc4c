#!/usr/bin/env bash
# Compiles the Rego policy to an OPA WebAssembly bundle (entrypoint regate/decision).
#
#   scripts/build-bundle.sh [--source DIR] [--revision REV] [-o OUT]
#                           [--signing-key KEY.pem [--signing-alg RS256|ES256|...] [--key-id ID]
#                            [--claims-file FILE]]
#
# --source    directory of Rego + data (default rego/); *_test.rego files are left out.
# --revision  manifest revision (CI passes the git commit). Default: "rego-" + the first 12 hex
#             digits of a SHA-256 over the bundled source files (see source_digest below), so the
#             committed default bundle names exactly the sources it was built from and a test can
#             check it is current.
# -o          output tarball (default bundles/regate.tar.gz).
# --signing-key/--signing-alg/--key-id/--claims-file  sign the bundle (.signatures.json) with
#             `opa build --signing-key`; --key-id becomes the JWT `kid` (opa's default: "default").
# --no-projection  leave out the input projection (below).
#
# Input projection: before compiling to WASM, the same sources are compiled to OPA's plan (-t plan)
# and scripts/input-projection.ts records, in the manifest's metadata.regate.input_projection, the
# input paths the policy can read, bound to the bundle's Rego modules by a digest. regate then
# hands the WASM module only those (docs/policy.md). The manifest is part of what a signature covers.
#
# opa build is deterministic (fixed mtimes, sorted entries): the same sources, revision and opa
# version give a byte-identical unsigned tarball.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
opa="${OPA:-$here/.tools/bin/opa}"
[ -x "$opa" ] || { echo "build-bundle: $opa missing; run scripts/ensure-tools.sh" >&2; exit 1; }

source_dir="$here/rego"
revision=""
out="$here/bundles/regate.tar.gz"
signing_key=""
signing_alg="RS256"
key_id=""
claims_file=""
projection=1
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source_dir="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    -o|--output) out="$2"; shift 2 ;;
    --signing-key) signing_key="$2"; shift 2 ;;
    --signing-alg) signing_alg="$2"; shift 2 ;;
    --key-id) key_id="$2"; shift 2 ;;
    --claims-file) claims_file="$2"; shift 2 ;;
    --no-projection) projection=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-bundle: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$source_dir" ] || { echo "build-bundle: no source directory $source_dir" >&2; exit 2; }

# SHA-256 over "<sha256>  <path>\n" lines (sha256sum format) of the files opa bundles (Rego other
# than tests, JSON and YAML data), paths relative to the source directory, sorted bytewise.
# test/unit/policy/committed-bundle.test.ts recomputes it.
source_digest() {
  (cd "$1" && find . -type f \( -name '*.rego' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' \) ! -name '*_test.rego' |
    sed 's|^\./||' | LC_ALL=C sort |
    while IFS= read -r f; do sha256sum -- "$f"; done) | sha256sum | cut -c1-12
}
# The build runs inside the source directory (below), so make every given path absolute first.
out=$(realpath -m -- "$out")
[ -z "$signing_key" ] || signing_key=$(realpath -m -- "$signing_key")
[ -z "$claims_file" ] || claims_file=$(realpath -m -- "$claims_file")
[ -n "$revision" ] || revision="rego-$(source_digest "$source_dir")"

args=(build -t wasm -e regate/decision --ignore '*_test.rego' --revision "$revision" -o "$out")
if [ -n "$signing_key" ]; then
  args+=(--signing-key "$signing_key" --signing-alg "$signing_alg")
  [ -z "$key_id" ] || args+=(--verification-key-id "$key_id")
  [ -z "$claims_file" ] || args+=(--claims-file "$claims_file")
fi
mkdir -p "$(dirname "$out")"
# opa resolves bundle paths relative to the directory it is given; build from inside it so that
# file names in the tarball do not depend on where the script was called from. The build runs on
# a copy, so that the manifest carrying the projection never lands in the source directory.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$source_dir/." "$work/src"
node="$here/node_modules/.bin/node"
if [ "$projection" = 1 ]; then
  [ -x "$node" ] || { echo "build-bundle: $node missing; run npm ci (or pass --no-projection)" >&2; exit 1; }
  (cd "$work/src" && "$opa" build -t plan -e regate/decision --ignore '*_test.rego' -o "$work/plan.tar.gz" --bundle .)
  mkdir "$work/plan" && tar -xzf "$work/plan.tar.gz" -C "$work/plan" 2>/dev/null
  # The projection is bound to the Rego modules as opa writes them into a bundle (it rewrites
  # them), so a first, unsigned build provides them; the manifest does not change the modules.
  (cd "$work/src" && "$opa" build -t wasm -e regate/decision --ignore '*_test.rego' -o "$work/modules.tar.gz" --bundle .)
  "$node" "$here/scripts/input-projection.ts" "$work/plan/plan.json" "$work/src/.manifest" "$work/modules.tar.gz"
elif [ -f "$work/src/.manifest" ] && grep -q input_projection "$work/src/.manifest"; then
  # A projection left in the source's manifest (from an earlier build) must not describe this one.
  [ -x "$node" ] || { echo "build-bundle: $source_dir/.manifest carries an input projection; run npm ci so it can be removed" >&2; exit 1; }
  "$node" "$here/scripts/input-projection.ts" --clear "$work/src/.manifest"
fi
(cd "$work/src" && "$opa" "${args[@]}" --bundle .)
echo "build-bundle: wrote $out (revision $revision)" >&2
