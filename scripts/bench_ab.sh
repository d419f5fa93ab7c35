#!/usr/bin/env bash
# Same-time A/B comparison of two builds of one Google Benchmark program: A and B run at once,
# single-threaded, pinned to two different cores, then again with the cores swapped, ROUNDS times.
# Both see the same machine state, which removes the drift between sequential runs (+-20 % on
# the shared 2-core VM). Prints each benchmark's time in A and B and the ratio B/A.
#   bash scripts/bench_ab.sh OLD_BINARY NEW_BINARY 'BM_ksg1_joint.*/100000/5' [ROUNDS] [CORE_A CORE_B]
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,6p' "$0" >&2
  exit 2
fi
a_bin="$1"; b_bin="$2"; filter="$3"; rounds="${4:-2}"; core_a="${5:-0}"; core_b="${6:-1}"
out_a="$(mktemp)"; out_b="$(mktemp)"
trap 'rm -f "$out_a" "$out_b"' EXIT
for _ in $(seq 1 "$rounds"); do
  for cores in "$core_a $core_b" "$core_b $core_a"; do
    set -- $cores
    OMP_NUM_THREADS=1 taskset -c "$1" "$a_bin" --benchmark_filter="$filter" > "$out_a" 2>&1 &
    OMP_NUM_THREADS=1 taskset -c "$2" "$b_bin" --benchmark_filter="$filter" > "$out_b" 2>&1
    wait
    paste <(grep '^BM' "$out_a" | awk '{print $1, $2, $3}') <(grep '^BM' "$out_b" | awk '{print $2}') |
      awk -v c="$cores" '{printf "%-55s A %8s B %8s %s  B/A %.2f  (cores %s)\n", $1, $2, $4, $3, $4 / $2, c}'
  done
done
