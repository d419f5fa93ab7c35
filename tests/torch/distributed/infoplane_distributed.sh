#!/usr/bin/env bash
# CTest example_libtorch_infoplane_distributed_torch: examples/libtorch/infoplane --distributed with
# 2 CPU ranks over gloo (started by examples/libtorch/run_distributed.sh, torchrun-style env) for a
# tiny run in double precision, against the same run in one process:
#   * both ranks print the same per-epoch line (loss, number of metric rows, digest of every row);
#   * rank 0's metrics.csv and train_loss equal the single process's to 1e-10 relative (the
#     training itself is data-parallel: same global batches, gradients averaged over the ranks);
#   * impossible launch settings exit 2 with a message.
# Usage: infoplane_distributed.sh PATH/TO/infoplane PATH/TO/run_distributed.sh WORKDIR
set -uo pipefail
prog="$1"
launcher="$2"
work="$3"
rm -rf "$work" && mkdir -p "$work"
failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
export OMP_NUM_THREADS=1
args=(--epochs 2 --n-train 1536 --n-test 512 --hidden 32 --batch 128 --nc-samples 500 --mi-samples 200 --pca 3
      --dtype double --seed 7)

"$prog" "${args[@]}" --out "$work/single" >"$work/single.json" 2>"$work/single.err" ||
  fail "single-process run: $(cat "$work/single.err")"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MASTER_PORT="$port" bash "$launcher" 2 "$prog" "${args[@]}" --distributed --backend gloo --out "$work/dist" \
  >"$work/dist.out" 2>"$work/dist.err" || fail "2-rank run: $(cat "$work/dist.err")"

python3 - "$work" <<'PY' || failed=$((failed + 1))
import csv, json, re, sys
work = sys.argv[1]
lines = open(f"{work}/dist.out").read().splitlines()
per_rank = {}
for line in lines:
    m = re.match(r"rank (\d+)/2 (epoch \d+: .*)$", line)
    if m:
        per_rank.setdefault(int(m.group(1)), []).append(m.group(2))
assert sorted(per_rank) == [0, 1], f"expected lines from ranks 0 and 1, got {sorted(per_rank)}"
assert len(per_rank[0]) == 2 and per_rank[0] == per_rank[1], f"ranks differ:\n{per_rank[0]}\n{per_rank[1]}"
summary = json.loads([l for l in lines if l.startswith("{")][-1])
assert summary["ranks"] == 2 and summary["backend"] == "gloo", summary

def rows(path):
    with open(path) as f:
        return {(r["epoch"], r["layer"], r["split"], r["metric"]): float(r["value"]) for r in csv.DictReader(f)}
single, dist = rows(f"{work}/single/metrics.csv"), rows(f"{work}/dist/metrics.csv")
assert len(single) > 100 and single.keys() == dist.keys(), (len(single), set(single) ^ set(dist))
n_rows = int(re.search(r"metric rows (\d+)", per_rank[0][0]).group(1))
assert 2 * n_rows == len(dist), (n_rows, len(dist))
worst = max(((abs(a - dist[k]) / max(abs(a), abs(dist[k]), 1e-300), k) for k, a in single.items()))
assert worst[0] <= 1e-10, f"metric differs beyond 1e-10 relative: {worst}"
loss = lambda p: [float(r["train_loss"]) for r in csv.DictReader(open(p))]
ls, ld = loss(f"{work}/single/timing.csv"), loss(f"{work}/dist/timing.csv")
assert len(ls) == 2 and all(abs(a - b) <= 1e-10 * abs(a) for a, b in zip(ls, ld)), (ls, ld)
print(f"ok: {len(dist)} metric rows, worst relative difference {worst[0]:.3g} ({worst[1]}), losses {ld}")
PY

refuse() {  # refuse WHAT EXPECTED_MESSAGE ENV... -- ARGS...
  local what="$1" msg="$2"; shift 2
  local envs=()
  while [[ "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" "$prog" "$@" --out "$work/refused" >/dev/null 2>"$work/err.txt"
  local rc=$?
  [[ $rc -eq 2 ]] && grep -q -- "$msg" "$work/err.txt" || fail "$what: rc=$rc, stderr: $(cat "$work/err.txt")"
}
refuse "RANK >= WORLD_SIZE" "rank must be in \[0, world size)" RANK=2 WORLD_SIZE=2 -- --distributed
refuse "batch not a multiple" "must be multiples of the world size" RANK=0 WORLD_SIZE=3 -- --distributed --batch 128
refuse "bad MASTER_PORT" "MASTER_PORT must be an integer" RANK=0 WORLD_SIZE=1 MASTER_PORT=29x -- --distributed
refuse "--rank without --distributed" "need --distributed" RANK=0 -- --rank 0
refuse "--dtype half" "dtype must be float or double" RANK=0 -- --dtype half
echo "infoplane_distributed: $failed failure(s)"
[[ $failed -eq 0 ]]
