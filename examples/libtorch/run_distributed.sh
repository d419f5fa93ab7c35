#!/usr/bin/env bash
# Starts N ranks of a --distributed LibTorch example on this machine, torchrun style:
#   run_distributed.sh N PROGRAM [ARGS...]
#   e.g. run_distributed.sh 2 ./build/examples/infoplane --distributed --epochs 8 --out out_dist
# Each rank gets RANK = LOCAL_RANK = r (so rank r uses cuda:r when CUDA is available), WORLD_SIZE = N,
# MASTER_ADDR (default 127.0.0.1) and MASTER_PORT (default 29500; keep yours when set), and
# OMP_NUM_THREADS = max(1, cores / N) unless set. NVLink multicast stays off in every rank:
# NCCL_NVLS_ENABLE=0, TORCH_SYMM_MEM_DISABLE_MULTICAST=1, NVSHMEM_DISABLE_NVLS=1 (forced: the shared
# multi-GPU hosts must never use multicast). If one rank fails, the others are stopped (they would
# otherwise wait in a collective until its timeout). Exit code: the first failing rank's, else 0.
set -uo pipefail
if [[ $# -lt 2 || ! "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: run_distributed.sh N PROGRAM [ARGS...]   (N >= 1 ranks on this machine)" >&2
  exit 2
fi
n="$1"
shift
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export WORLD_SIZE="$n" MASTER_ADDR="${MASTER_ADDR:-127.0.0.1}" MASTER_PORT="${MASTER_PORT:-29500}"
if [[ -z "${OMP_NUM_THREADS:-}" ]]; then
  cores=$(nproc 2>/dev/null || echo 1)
  export OMP_NUM_THREADS=$((cores / n > 0 ? cores / n : 1))
fi

live=()  # ranks not yet waited for (only those are ever signalled)
stop_all() {
  for p in "${live[@]}"; do kill "$p" 2>/dev/null; done
}
trap 'stop_all; exit 130' INT TERM
for ((r = 0; r < n; ++r)); do
  RANK=$r LOCAL_RANK=$r "$@" &
  live+=($!)
done

status=0
while ((${#live[@]} > 0)); do
  finished=""
  wait -n -p finished "${live[@]}"
  rc=$?
  [[ -z "$finished" ]] && break
  rest=()
  for p in "${live[@]}"; do [[ "$p" != "$finished" ]] && rest+=("$p"); done
  live=("${rest[@]}")
  if ((rc != 0 && status == 0)); then
    status=$rc
    echo "run_distributed.sh: a rank (pid $finished) exited with $rc; stopping the others" >&2
    stop_all
  fi
done
exit "$status"
