#!/usr/bin/env bash
# Benchmarks the Rust port beside std / RwLock<HashMap> / dashmap and beside Go 1.19's own
# map and sync.Map, and prints one table of ns/op with ratios, the SyncMap table (ops/s)
# and the history-check rate. Not a test. Needs Go 1.19 (scripts/install-go.sh).
#
#   scripts/bench-port.sh            # ~9 min on 2 cores (plus the first build)
#   BIG=1 scripts/bench-port.sh      # adds 2^20 keys
#   MEASURE=2 scripts/bench-port.sh  # criterion measurement seconds per row (default 1)
#   ROUNDS=3 scripts/bench-port.sh   # rounds of the map table (default 5)
#
# Every figure in one run is measured in that run; compare the ratios, not absolute numbers
# across runs (the machine is shared and noisy). The map table is timed in ROUNDS rounds,
# Go's program and criterion alternating (Go first in odd rounds, the port first in even
# ones), and each cell is the median of its rounds; each row's port/go of every round is
# printed too. The sync.Map table is timed once (each side takes its best of 3 runs).
#
# Besides the tables it writes target/bench-port/rows.tsv, the rows that have a Go figure
# (table, op or load, keys or threads, port, go, unit: ns/key or Mops/s, and for the map
# rows the port/go of each round), which `gomap bench --targets` reads for its "no row
# slower than Go" target.
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

ROUNDS=${ROUNDS:-5}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-port.sh: ROUNDS must be a positive integer, not '$ROUNDS'" >&2; exit 2; }
go_maps() { # round
    echo "== round $1/$ROUNDS: Go 1.19 map" >&2
    "$OUT/go-bench" -benchtime "${MEASURE}s" "${big_go[@]}" -syncmap=false >"$OUT/go.$1.txt"
}
port_maps() { # round
    echo "== round $1/$ROUNDS: port and std (criterion, ${MEASURE}s per row)" >&2
    rm -rf "$ROOT/target/criterion"/map_*
    cargo bench -p gomap-impl --bench gomap -- --warm-up-time 0.3 --measurement-time "$MEASURE" \
        --sample-size 10 --noplot >"$OUT/criterion.$1.log" 2>&1 || { tail -30 "$OUT/criterion.$1.log" >&2; exit 1; }
    # criterion's mean for one pass over n keys, in ns per key: "op n port std".
    for n in $sizes; do
        for op in $ops; do
            printf '%s %s' "$op" "$n"
            for impl in port std; do
                f="$ROOT/target/criterion/map_$op/$impl/$n/new/estimates.json"
                sed -E 's/.*"mean":\{"confidence_interval":\{[^}]*\},"point_estimate":([0-9.eE+-]+).*/\1/' "$f" |
                    awk -v n="$n" '{ printf " %.3f", $1 / n }'
            done
            echo
        done
    done >"$OUT/port.$1.txt"
}
sizes="1024 16384 262144"
[ -n "${BIG:-}" ] && sizes="$sizes 1048576"
ops="insert grow hit miss delete iterate"
rm -f "$OUT"/go.*.txt "$OUT"/port.*.txt "$OUT"/criterion.*.log
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then go_maps "$r"; port_maps "$r"; else port_maps "$r"; go_maps "$r"; fi
done
echo "== Go 1.19 sync.Map" >&2
"$OUT/go-bench" -maps=false >"$OUT/go.txt"
echo "== SyncMap, RwLock<HashMap>, dashmap" >&2
cargo bench -p gomap-impl --bench syncmap >"$OUT/syncmap.txt" 2>/dev/null
echo "== history check" >&2
cargo bench -p gomap-impl --bench history >"$OUT/history.txt" 2>/dev/null

ROWS=$OUT/rows.tsv.new
printf '# table\top\tsize\tport\tgo\tunit\trounds\n' >"$ROWS"

echo
echo "GoMap<u64,u64> (ns per key, medians of $ROUNDS rounds; ratios < 1 mean the port is faster)"
printf '%-8s %8s %9s %9s %9s %9s %9s  %s\n' op keys port std go port/std port/go "port/go per round"
# The per-round figures, one line per (op, n, round): "op n round port std go".
for ((r = 1; r <= ROUNDS; r++)); do
    awk -v r="$r" 'NR == FNR { if ($1 == "map") g[$2 " " $3] = $4; next }
                   { print $1, $2, r, $3, $4, g[$1 " " $2] }' "$OUT/go.$r.txt" "$OUT/port.$r.txt"
done >"$OUT/rounds.txt"
for n in $sizes; do
    for op in $ops; do
        awk -v op="$op" -v n="$n" -v rows="$ROWS" '
            function median(a, k,   i, j, t) { # sorts a[1..k] in place
                for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
                return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
            }
            $1 == op && $2 == n {
                k++; p[k] = $4; s[k] = $5; g[k] = $6
                if ($4 <= 0 || $6 <= 0) bad = 1
                per = per (k > 1 ? "," : "") ($6 > 0 ? sprintf("%.2f", $4 / $6) : "?")
            }
            END {
                if (k == 0 || bad) { printf "bench-port.sh: no figures for %s at %d keys\n", op, n > "/dev/stderr"; exit 1 }
                mp = median(p, k); ms = median(s, k); mg = median(g, k)
                printf "%-8s %8d %9.2f %9.2f %9.2f %9.2f %9.2f  %s\n", op, n, mp, ms, mg, mp/ms, mp/mg, per
                printf "map\t%s\t%s\t%.3f\t%.3f\tns/key\t%s\n", op, n, mp, mg, per >>rows
            }' "$OUT/rounds.txt"
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
