#!/usr/bin/env bash
# Usage: observe.sh SCENARIO OUT [observe flags, e.g. -trials 1000000 or -seconds 60]
#
# Builds the observe program (tests/go-oracle/observe) with Go 1.19 into
# target/go-oracle/observe of the repository and runs it on SCENARIO, writing
# the JSON Lines outcome file OUT (docs/observe-format.md). Needs Go 1.19 at
# /usr/lib/go-1.19/bin/go or at $GO; installs nothing.
set -euo pipefail

usage() { echo "usage: $0 SCENARIO OUT [-trials N] [-seconds S] [-seed N] [-per-trial] [-gomaxprocs N]" >&2; exit 2; }
[ $# -ge 2 ] || usage
SCENARIO="$1"
OUT="$2"
shift 2

GO="${GO:-/usr/lib/go-1.19/bin/go}"
if [ ! -x "$GO" ]; then
  echo "observe.sh: Go 1.19 not found at $GO (install golang-1.19-go or set GO); this script installs nothing." >&2
  exit 1
fi
case "$("$GO" env GOVERSION 2>/dev/null || true)" in
  go1.19*) ;;
  *) echo "observe.sh: $GO is not Go 1.19; observe mirrors Go 1.19 runtime layouts" >&2; exit 1 ;;
esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="$ROOT/target/go-oracle/observe"
mkdir -p "$(dirname "$BIN")"
(cd "$HERE" && GOFLAGS=-mod=mod GOPROXY=off "$GO" build -o "$BIN" ./observe)
if [ $# -eq 0 ]; then
  set -- -trials 100000
fi
exec "$BIN" -scenario "$SCENARIO" -out "$OUT" "$@"
