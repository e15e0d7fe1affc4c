#!/usr/bin/env bash
# Makes sure the external tools regate's tests and bundle builds need are present:
#   - opa (pinned, built with `go install` into the project-local .tools/bin)
#   - redis-server (Debian package)
# Idempotent: does nothing when both are already there. Prints where each tool is.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OPA_VERSION=$(cat "$here/scripts/opa-version")
tools="$here/.tools/bin"
mkdir -p "$tools"

if [ -x "$tools/opa" ] && "$tools/opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
  :
else
  command -v go >/dev/null || { echo "ensure-tools: go is required to build opa ${OPA_VERSION}" >&2; exit 1; }
  echo "ensure-tools: building opa ${OPA_VERSION} into .tools/bin (go install, no cgo)" >&2
  CGO_ENABLED=0 GOBIN="$tools" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
fi

if ! command -v redis-server >/dev/null; then
  echo "ensure-tools: installing redis-server (Debian package)" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

echo "ensure-tools: opa $("$tools/opa" version | head -1 | cut -d' ' -f2) at $tools/opa; redis-server at $(command -v redis-server)" >&2
