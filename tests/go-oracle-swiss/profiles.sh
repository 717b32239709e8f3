# Recorder settings shared by record.sh and make-corpus.sh: "name|flags" per line.
# shellcheck disable=SC2034  # sourced
PROFILES=(
  "uniform|-keys 1000 -elems 100 -w-assign 60 -w-delete 20 -w-lookup 19 -w-clear 1 -iter-prob 0.02 -iter-max 2 -iter-next-prob 0.3"
  "growth-splits|-keys 8000 -elems 10 -w-assign 85 -w-delete 5 -w-lookup 10 -iter-prob 0.004 -iter-max 2 -iter-next-prob 0.08"
  "tombstones|-keys 100000 -bigkeys -elems 1000 -max-live 100 -w-assign 50 -w-delete 35 -w-lookup 15 -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.3"
  "small|-keys 12 -elems 5 -w-assign 50 -w-delete 30 -w-lookup 17 -w-make 3 -iter-prob 0.05 -iter-max 3 -iter-next-prob 0.4"
  "hints|-keys 5000 -elems 10 -hint-max 3000 -w-make 1 -w-assign 75 -w-delete 10 -w-lookup 14 -iter-prob 0.01 -iter-max 2 -iter-next-prob 0.1"
  "iter-growth|-keys 400 -elems 100 -w-assign 70 -w-delete 15 -w-lookup 14 -w-clear 1 -iter-prob 0.03 -iter-max 3 -iter-next-prob 0.35"
  "clear-reseed|-keys 300 -elems 50 -w-assign 65 -w-delete 15 -w-lookup 15 -w-clear 5 -iter-prob 0.03 -iter-max 3 -iter-next-prob 0.3"
  "prune|-keys 1000000 -bigkeys -elems 1000 -max-live 190 -w-assign 50 -w-delete 45 -w-lookup 5 -iter-prob 0.005 -iter-max 1 -iter-next-prob 0.2"
  "bigkeys|-keys 100000 -bigkeys -elems 1000000 -w-assign 70 -w-delete 15 -w-lookup 15 -iter-prob 0.02 -iter-max 3 -iter-next-prob 0.3"
)
