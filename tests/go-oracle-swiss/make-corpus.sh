#!/usr/bin/env bash
# Usage: make-corpus.sh [DIR (default ../traces-swiss)]
#
# Regenerates the committed corpus: one trace per profile of profiles.sh, with fixed
# generator seeds and op counts. Go's own randomness (map seeds, iterator offsets,
# hash keys) differs on every run, so the files change each time; what they exercise
# does not. Go 1.24 is found by go.sh. Installs nothing.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${1:-$HERE/../traces-swiss}"
GOBIN="$("$HERE/go.sh" "${GO_VERSION:-1.24.11}")"
# shellcheck source=profiles.sh
. "$HERE/profiles.sh"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
BIN="$HERE/../../target/go-oracle-swiss/bin/go-oracle-swiss"
mkdir -p "$(dirname "$BIN")"
(cd "$HERE" && GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off "$GOBIN" build -tags hashkey -ldflags=-checklinkname=0 -o "$BIN" .)
declare -A OPS=([uniform]=1500 [growth-splits]=3500 [tombstones]=1500 [small]=1200 [hints]=600 [iter-growth]=1500 [clear-reseed]=1200 [prune]=1500 [bigkeys]=1200)
i=0
for p in "${PROFILES[@]}"; do
  IFS='|' read -r name flags <<<"$p"
  i=$((i + 1))
  # shellcheck disable=SC2086  # flags are intentionally word-split
  # Every other trace hashes with the portable memhash64Fallback (its keys in the header).
  aes=""
  if [ $((i % 2)) -eq 0 ]; then aes="cpu.aes=off"; fi
  (cd "$DIR" && GODEBUG="$aes" "$BIN" -seed $((1240 + i)) -ops "${OPS[$name]}" $flags -out "$name.jsonl")
  echo "make-corpus.sh: $DIR/$name.jsonl"
done
