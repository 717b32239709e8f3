#!/usr/bin/env bash
# Regenerates the named corpus in tests/traces/ (or $1) and validates it.
# hash0 and iterator starts come from the Go runtime's random source, so every
# run yields different (but equally valid) traces for the same flags.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../traces}"
GO="${GO:-/usr/lib/go-1.19/bin/go}"
if [ ! -x "$GO" ]; then
  echo "make-corpus.sh: Go 1.19 not found at $GO (install golang-1.19-go, or set GO=/path/to/go1.19/bin/go)" >&2
  exit 1
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
BIN="$(mktemp -d)/go-oracle"
trap 'rm -rf "$(dirname "$BIN")"' EXIT
(cd "$HERE" && GOROOT="$(dirname "$(dirname "$GO")")" GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off "$GO" build -o "$BIN" .)

cd "$OUT"   # so that the recorded "-out" is the bare file name
rec() { "$BIN" "$@"; }

rec -seed 101 -ops 1300 -keys 3000 -elems 10 -w-assign 92 -w-delete 4 -w-lookup 4 \
    -out growth-to-b8.jsonl
rec -seed 102 -ops 1000 -keys 100000 -elems 10 -w-assign 50 -w-delete 35 -w-lookup 15 \
    -max-live 24 -pattern samesize -pattern-bits 8 -hot-rotate 24 \
    -out samesize-growth-overflow-churn.jsonl
rec -seed 103 -ops 1400 -keys 100000 -elems 10 -w-assign 50 -w-delete 35 -w-lookup 15 \
    -max-live 60 -pattern samesize -pattern-bits 8 -hot-rotate 30 \
    -iter-on-grow -iter-prob 0.03 -iter-max 3 -iter-next-prob 0.35 -iter-next-prob-grow 0.8 \
    -out samesize-growth-with-iterators.jsonl
rec -seed 104 -ops 2500 -keys 400 -elems 100 -w-assign 60 -w-delete 25 -w-lookup 15 \
    -iter-on-grow -iter-prob 0.03 -iter-max 3 -iter-next-prob 0.35 -iter-next-prob-grow 0.8 \
    -clear-every 900 -out iter-across-growth-mutations.jsonl
rec -seed 105 -ops 1500 -keys 200 -elems 50 -w-assign 70 -w-delete 15 -w-lookup 15 \
    -clear-every 40 -iter-prob 0.02 -iter-max 2 -iter-next-prob 0.2 \
    -out delete-to-empty-reseed.jsonl
rec -seed 106 -ops 1200 -keys 100000 -elems 10 -hint 200 -w-assign 55 -w-delete 30 -w-lookup 15 \
    -max-live 120 -pattern samesize -pattern-bits 8 -hot-rotate 40 \
    -out make-hint-b5-prealloc-used-up.jsonl
rec -seed 110 -ops 600 -keys 100000 -elems 10 -hint 60 -w-assign 60 -w-delete 25 -w-lookup 15 \
    -max-live 80 -pattern samesize -pattern-bits 8 -hot-rotate 30 \
    -out make-hint-b4-prealloc-used-up.jsonl
rec -seed 107 -ops 2000 -keys 5000 -elems 10 -hint 0 -hint-max 3000 \
    -w-assign 75 -w-delete 10 -w-lookup 14 -w-make 1 -iter-prob 0.01 -iter-max 2 -iter-next-prob 0.1 \
    -out make-random-hints-prealloc.jsonl
rec -seed 108 -ops 1500 -keys 5000 -elems 100 -w-assign 45 -w-delete 5 -w-lookup 50 \
    -out lookups-during-growth.jsonl
rec -seed 109 -ops 1200 -keys 100000 -bigkeys -elems 1000000 -w-assign 70 -w-delete 15 -w-lookup 15 \
    -clear-every 500 -iter-on-grow -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.3 \
    -out bigkeys-mixed.jsonl

python3 "$HERE/validate_trace.py" "$OUT"/*.jsonl
