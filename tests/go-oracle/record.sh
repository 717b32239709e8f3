#!/usr/bin/env bash
# Usage: record.sh OUTDIR [TOTAL_OPS] [NTRACES]
#
# Builds the recorder and records NTRACES (default 20) fresh traces
# with random generator seeds and a mix of settings into OUTDIR, TOTAL_OPS
# (default 100000) ops in total. Every trace is then checked with
# validate_trace.py (if python3 is available).
#
# Go: $GO, default Go 1.19 at /usr/lib/go-1.19/bin/go (Debian/Ubuntu package
# golang-1.19-go). Any toolchain with the classic map works (Go 1.19, 1.21 ..
# 1.23; 1.24/1.25 with GOEXPERIMENT=noswissmap in the environment, which the
# build picks up): the recorder's start-up check refuses any other map.
# scripts/go-path.sh VERSION prints where each one is installed. This script
# never installs anything.
#
# RECORD_SET selects the settings: "standard" (default) or "clear" (maps that
# are cleared with clear(m) while iterators are open; the port and the model
# replay them, see docs/go-versions.md).
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [TOTAL_OPS (default 100000)] [NTRACES (default 20)]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
OUTDIR="$1"
TOTAL="${2:-100000}"
N="${3:-20}"
[[ "$TOTAL" =~ ^[0-9]+$ ]] && [[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || usage

GO="${GO:-/usr/lib/go-1.19/bin/go}"
if [ ! -x "$GO" ]; then
  echo "record.sh: Go not found at $GO." >&2
  echo "record.sh: install the golang-1.19-go package (or set GO=/path/to/go1.19/bin/go); this script installs nothing." >&2
  exit 1
fi
case "$("$GO" env GOVERSION 2>/dev/null || true)" in
  go1.*) ;;
  *) echo "record.sh: $GO is not a Go 1 toolchain ($("$GO" version 2>&1 || true))" >&2; exit 1 ;;
esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
BIN="$TMP/go-oracle"
echo "record.sh: building recorder with $("$GO" version)"
(cd "$HERE" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local "$GO" build -o "$BIN" .)

# Mixed settings; each line is a profile name and its flags (-seed/-ops/-out added below).
PROFILES=(
  "uniform|-keys 1000 -elems 100 -w-assign 70 -w-delete 15 -w-lookup 15 -clear-every 600 -iter-on-grow -iter-prob 0.02 -iter-max 2 -iter-next-prob 0.3"
  "growth|-keys 6000 -elems 10 -w-assign 85 -w-delete 5 -w-lookup 10 -iter-prob 0.005 -iter-max 1 -iter-next-prob 0.05"
  "samesize|-keys 100000 -elems 10 -w-assign 50 -w-delete 35 -w-lookup 15 -max-live 40 -pattern samesize -pattern-bits 8 -hot-rotate 24 -iter-on-grow -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.3 -iter-next-prob-grow 0.8"
  "iter-growth|-keys 400 -elems 100 -w-assign 60 -w-delete 25 -w-lookup 15 -iter-on-grow -iter-prob 0.03 -iter-max 3 -iter-next-prob 0.35 -iter-next-prob-grow 0.8 -clear-every 900"
  "reseed|-keys 200 -elems 50 -w-assign 70 -w-delete 15 -w-lookup 15 -clear-every 40 -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.2"
  "prealloc|-keys 100000 -elems 10 -hint 200 -hint-max 2000 -w-assign 55 -w-delete 30 -w-lookup 14 -w-make 1 -max-live 150 -pattern samesize -pattern-bits 8 -hot-rotate 40 -iter-prob 0.01 -iter-max 2 -iter-next-prob 0.2"
  "hints|-keys 5000 -elems 10 -hint-max 3000 -w-assign 75 -w-delete 10 -w-lookup 14 -w-make 1 -iter-prob 0.01 -iter-max 2 -iter-next-prob 0.1"
  "lookups|-keys 5000 -elems 100 -w-assign 45 -w-delete 5 -w-lookup 50 -iter-on-grow -iter-max 1 -iter-next-prob 0.1"
  "bigkeys|-keys 100000 -bigkeys -elems 1000000 -w-assign 70 -w-delete 15 -w-lookup 15 -clear-every 700 -iter-on-grow -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.3"
  "churn|-keys 300 -elems 5 -w-assign 45 -w-delete 45 -w-lookup 10 -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.4"
)
case "${RECORD_SET:-standard}" in
  standard) ;;
  clear)
    PROFILES=(
      "clear-iter|-keys 64 -elems 100 -max-live 50 -w-clear 3 -iter-prob 0.1 -iter-max 3 -iter-next-prob 0.3"
      "clear-overflow|-keys 20000 -elems 100 -pattern samesize -pattern-bits 2 -max-live 60 -w-clear 3 -iter-prob 0.1 -iter-max 3 -iter-next-prob 0.3"
      "clear-growth|-keys 400 -elems 100 -w-clear 1 -iter-on-grow -iter-prob 0.05 -iter-max 3 -iter-next-prob 0.4 -iter-next-prob-grow 0.8"
      "clear-prealloc|-keys 100000 -elems 10 -hint 200 -hint-max 2000 -w-assign 55 -w-delete 28 -w-lookup 14 -w-make 1 -w-clear 2 -max-live 150 -pattern samesize -pattern-bits 8 -hot-rotate 40 -iter-prob 0.05 -iter-max 3 -iter-next-prob 0.3"
    )
    ;;
  *) echo "record.sh: RECORD_SET must be standard or clear" >&2; exit 2 ;;
esac

per=$(( TOTAL / N ))
[ "$per" -ge 1 ] || per=1
rem=$(( TOTAL - per * N ))
[ "$rem" -ge 0 ] || rem=0
files=()
for ((t = 0; t < N; t++)); do
  IFS='|' read -r name flags <<<"${PROFILES[$((t % ${#PROFILES[@]}))]}"
  ops=$per
  if [ "$t" -lt "$rem" ]; then ops=$((ops + 1)); fi
  seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
  f="$(printf 'trace-%02d-%s-s%d.jsonl' "$t" "$name" "$seed")"
  # shellcheck disable=SC2086  # flags are intentionally word-split
  (cd "$OUTDIR" && "$BIN" -seed "$seed" -ops "$ops" $flags -out "$f")
  files+=("$OUTDIR/$f")
  echo "record.sh: $f ($ops ops)"
done

if command -v python3 >/dev/null 2>&1; then
  python3 "$HERE/validate_trace.py" "${files[@]}"
else
  echo "record.sh: python3 not found; skipped validate_trace.py" >&2
fi
