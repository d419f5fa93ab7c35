#!/usr/bin/env bash
# Builds and runs every full configuration of the seed-paper reproductions on the GPU machine
# (docs/reproduce/*.md). Usage, from the repository root:
#   bash examples/reproduce/run_device.sh OUTDIR [PROGRAM...]
# Writes OUTDIR/<program>/metrics.csv (+ timing.csv, log.txt, the program's other files),
# OUTDIR/timing.csv (wall seconds and exit code per program; 124 = stopped at its limit: $REPRO_TIMEOUT,
# else limit_for below) and OUTDIR/hardware.txt.
# Needs: LibTorch (the pip wheel's, found through python3, or an installed one), the header-only
# dependencies (bash scripts/device_deps.sh on a machine with apt, then carry .devdeps), and
# Fashion-MNIST's four gzip idx files in $INFOGEO_FASHION_MNIST, /usr/share/datasets/fashion-mnist
# or .data/fashion-mnist (git-ignored; copy them there and carry .data).
set -euo pipefail
out="$(realpath -m "${1:?usage: run_device.sh OUTDIR [PROGRAM...]}")"
shift
cd "$(dirname "$0")/../.."
programs=("$@")
[[ ${#programs[@]} -gt 0 ]] || programs=(geometric_vs_information thesis_fashion_mnist dropout_information_plane
                                          latent_point_collapse lossy_compression)
# Each program is stopped after this many seconds (metrics.csv is flushed row by row, so what it
# measured until then stays): $REPRO_TIMEOUT for all, else the program's own limit below (160 s
# unless listed: latent_point_collapse trains two networks for 24 epochs, lossy_compression fits 48
# autoencoders and a CNN with per-layer PCA and WKL every epoch; dropout_information_plane trains five
# networks of 10 epochs: Gaussian sigma^2 0.2 / 0.4, Bernoulli p 0.5, information dropout beta 0.01 / 0.1).
limit_for() {
  if [[ -n "${REPRO_TIMEOUT:-}" ]]; then echo "$REPRO_TIMEOUT"; return; fi
  case "$1" in
    latent_point_collapse) echo 300 ;;
    lossy_compression) echo 420 ;;
    thesis_fashion_mnist) echo 480 ;;
    *) echo 160 ;;
  esac
}

data=""
for d in "${INFOGEO_FASHION_MNIST:-}" /usr/share/datasets/fashion-mnist "$PWD/.data/fashion-mnist"; do
  if [[ -n "$d" && -f "$d/t10k-labels-idx1-ubyte.gz" ]]; then data="$d"; break; fi
done
[[ -n "$data" ]] || { echo "run_device.sh: Fashion-MNIST not found (set INFOGEO_FASHION_MNIST)" >&2; exit 2; }

prefix=""
if python3 -c 'import torch' 2> /dev/null; then
  prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
fi
[[ -d .devdeps/prefix ]] && prefix="${prefix:+$prefix;}$PWD/.devdeps/prefix"
mkdir -p "$out"
start=$(date +%s.%N)
cmake -S . -B build-repro -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 -DCMAKE_PREFIX_PATH="$prefix" -DINFOGEO_WITH_TORCH=ON \
  -DINFOGEO_BUILD_EXAMPLES=ON -DINFOGEO_BUILD_TESTS=OFF -DINFOGEO_BUILD_TOOLS=OFF -DINFOGEO_BUILD_BENCHMARKS=OFF \
  -DINFOGEO_HEADER_CHECK=OFF -DINFOGEO_FASHION_MNIST_DIR="$data" > "$out/cmake.log"
cmake --build build-repro -j "$(nproc)" --target "${programs[@]}" > "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
build_s=$(awk "BEGIN{print $(date +%s.%N) - $start}")
{
  echo "date: $(date -u)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null || echo "no nvidia-smi"
  echo "cpu cores: $(nproc)"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2> /dev/null || true
  echo "build seconds: $build_s"
} > "$out/hardware.txt"
echo "program,seconds,exit_code" > "$out/timing.csv"
for p in "${programs[@]}"; do
  mkdir -p "$out/$p"
  t0=$(date +%s.%N)
  rc=0
  # $REPRO_ARGS (e.g. --smoke, to test this script on a CPU) is appended to every program's options.
  # shellcheck disable=SC2086
  timeout "$(limit_for "$p")" "./build-repro/examples/reproduce/$p" --data "$data" --out "$out/$p" ${REPRO_ARGS:-} \
    > "$out/$p/log.txt" 2>&1 || rc=$?
  s=$(awk "BEGIN{print $(date +%s.%N) - $t0}")
  echo "$p,$s,$rc" >> "$out/timing.csv"
  echo "== $p: ${s} s, exit $rc"
  tail -5 "$out/$p/log.txt"
done
cat "$out/hardware.txt" "$out/timing.csv"
