#!/usr/bin/env bash
# Usage: record.sh OUTDIR [TOTAL_OPS (default 100000)] [NTRACES (default 16)]
#
# Builds the Go 1.24 recorder and records NTRACES fresh swiss-v1 traces with random
# generator seeds and the settings of profiles.sh into OUTDIR, TOTAL_OPS ops in total.
# Replay them on the Rust port with
#   SWISS_TRACE_DIR=$(realpath OUTDIR) cargo test -p gomap-impl --test swiss_replay
# Go 1.24 is found by go.sh (GO=/path/to/go overrides). Installs nothing.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [TOTAL_OPS (default 100000)] [NTRACES (default 16)]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 3 ] || usage
OUTDIR="$1"
TOTAL="${2:-100000}"
N="${3:-16}"
[[ "$TOTAL" =~ ^[0-9]+$ ]] && [[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || usage

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GOBIN="$("$HERE/go.sh" "${GO_VERSION:-1.24.11}")"
# shellcheck source=profiles.sh
. "$HERE/profiles.sh"
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
BIN="$HERE/../../target/go-oracle-swiss/bin/go-oracle-swiss"
mkdir -p "$(dirname "$BIN")"
echo "record.sh: building recorder with $(GOTOOLCHAIN=local "$GOBIN" version)"
(cd "$HERE" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off "$GOBIN" build -tags hashkey -ldflags=-checklinkname=0 -o "$BIN" .)

per=$(( TOTAL / N ))
[ "$per" -ge 1 ] || per=1
rem=$(( TOTAL - per * N ))
[ "$rem" -ge 0 ] || rem=0
for ((t = 0; t < N; t++)); do
  IFS='|' read -r name flags <<<"${PROFILES[$((t % ${#PROFILES[@]}))]}"
  ops=$per
  if [ "$t" -lt "$rem" ]; then ops=$((ops + 1)); fi
  seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
  f="$(printf 'swiss-%02d-%s-s%d.jsonl' "$t" "$name" "$seed")"
  # shellcheck disable=SC2086  # flags are intentionally word-split
  # Every other trace hashes with the portable memhash64Fallback, whose keys the
  # header then carries, so that the Rust side recomputes every hash.
  aes=""
  if [ $((t % 2)) -eq 1 ]; then aes="cpu.aes=off"; fi
  (cd "$OUTDIR" && GODEBUG="$aes" "$BIN" -seed "$seed" -ops "$ops" $flags -out "$f")
  echo "record.sh: $f ($ops ops)"
done
echo "record.sh: replay with SWISS_TRACE_DIR=$OUTDIR cargo test -p gomap-impl --test swiss_replay"
