#!/usr/bin/env bash
# Benchmarks the Rust port beside std / RwLock<HashMap> / dashmap and beside Go 1.19's own
# map and sync.Map, and prints one table of ns/op with ratios, the SyncMap table (ops/s)
# and the history-check rate. Not a test. Needs Go 1.19 (scripts/install-go.sh).
#
#   scripts/bench-port.sh            # ~5 min on 2 cores (plus the first build)
#   BIG=1 scripts/bench-port.sh      # adds 2^20 keys
#   MEASURE=2 scripts/bench-port.sh  # criterion measurement seconds per row (default 1)
#
# Every figure in one run is measured in that run, one side after the other; compare the
# ratios, not absolute numbers across runs (the machine is shared and noisy).
#
# Besides the tables it writes target/bench-port/rows.tsv, the rows that have a Go figure
# (table, op or load, keys or threads, port, go, unit: ns/key or Mops/s), which
# `gomap bench --targets` reads for its "no row slower than Go" target.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=/usr/lib/go-1.19/bin/go
[ -x "$GO" ] || { echo "bench-port.sh: run scripts/install-go.sh first" >&2; exit 1; }
MEASURE=${MEASURE:-1}
OUT=$ROOT/target/bench-port
mkdir -p "$OUT"
big_go=()
if [ -n "${BIG:-}" ]; then export GOMAP_BENCH_BIG=1; big_go=(-big); fi

echo "== building" >&2
cargo bench -p gomap-impl --benches --no-run >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
(cd tests/go-oracle && "$GO" build -o "$OUT/go-bench" ./bench)

echo "== Go 1.19 map and sync.Map" >&2
"$OUT/go-bench" -benchtime "${MEASURE}s" "${big_go[@]}" >"$OUT/go.txt"
echo "== port and std (criterion, ${MEASURE}s per row)" >&2
rm -rf "$ROOT/target/criterion"/map_*
cargo bench -p gomap-impl --bench gomap -- --warm-up-time 0.3 --measurement-time "$MEASURE" \
    --sample-size 10 --noplot >"$OUT/criterion.log" 2>&1 || { tail -30 "$OUT/criterion.log" >&2; exit 1; }
echo "== SyncMap, RwLock<HashMap>, dashmap" >&2
cargo bench -p gomap-impl --bench syncmap >"$OUT/syncmap.txt" 2>/dev/null
echo "== history check" >&2
cargo bench -p gomap-impl --bench history >"$OUT/history.txt" 2>/dev/null

# criterion's mean for one pass over n keys, in ns per key.
crit() { # group impl n
    local f="$ROOT/target/criterion/map_$1/$2/$3/new/estimates.json"
    sed -E 's/.*"mean":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' "$f" |
        awk -v n="$3" '{ printf "%.3f", $1 / n }'
}

ROWS=$OUT/rows.tsv.new
printf '# table\top\tsize\tport\tgo\tunit\n' >"$ROWS"

echo
echo "GoMap<u64,u64> (ns per key; ratios < 1 mean the port is faster)"
printf '%-8s %8s %9s %9s %9s %9s %9s\n' op keys port std go port/std port/go
sizes="1024 16384 262144"
[ -n "${BIG:-}" ] && sizes="$sizes 1048576"
for n in $sizes; do
    for op in insert grow hit miss delete iterate; do
        p=$(crit "$op" port "$n"); s=$(crit "$op" std "$n")
        g=$(awk -v op="$op" -v n="$n" '$1=="map" && $2==op && $3==n {print $4}' "$OUT/go.txt")
        awk -v op="$op" -v n="$n" -v p="$p" -v s="$s" -v g="$g" \
            'BEGIN { printf "%-8s %8d %9.2f %9.2f %9.2f %9.2f %9.2f\n", op, n, p, s, g, p/s, p/g }'
        printf 'map\t%s\t%s\t%s\t%s\tns/key\n' "$op" "$n" "$p" "$g" >>"$ROWS"
    done
done

echo
echo "SyncMap<u64,u64>, 1024 keys (Mops/s over all threads; ratios > 1 mean the port is faster)"
printf '%-12s %7s %8s %8s %8s %8s %9s %9s %9s\n' load threads port go rwlock dashmap port/go port/rw port/dash
for load in read-mostly mixed; do
    for t in 1 2; do
        awk -v load="$load" -v t="$t" -v rows="$ROWS" '
            FILENAME ~ /go.txt$/ && $1=="syncmap" && $2==load && $3==t { g=$4 }
            FILENAME ~ /syncmap.txt$/ && $1=="syncmap" && $3==load && $4==t { r[$2]=$5 }
            END { printf "%-12s %7d %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f %9.2f\n", load, t,
                  r["port"]/1e6, g/1e6, r["rwlock"]/1e6, r["dashmap"]/1e6,
                  r["port"]/g, r["port"]/r["rwlock"], r["port"]/r["dashmap"]
                  printf "syncmap\t%s\t%d\t%.4f\t%.4f\tMops/s\n", load, t, r["port"]/1e6, g/1e6 >>rows }' \
            "$OUT/go.txt" "$OUT/syncmap.txt"
    done
done

echo
echo "SyncMap linearizability check (histories/s; keys k1..k3)"
printf '%-8s %4s %10s %10s\n' threads ops check campaign
for t in 2 3; do
    for o in 6 10; do
        awk -v t="$t" -v o="$o" '
            $1=="history" && $3==t && $4==o { r[$2]=$5 }
            END { printf "%-8d %4d %10.0f %10.0f\n", t, o, r["check"], r["campaign"] }' "$OUT/history.txt"
    done
done
mv "$ROWS" "$OUT/rows.tsv"
echo
echo "raw outputs: $OUT/ (rows.tsv: the rows with a Go figure, for gomap bench --targets)"
