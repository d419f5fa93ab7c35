#!/usr/bin/env bash
# Compile cost of including infogeo (issue: "including infogeo must cost seconds").
# Compiles, in the same run and interleaved, a dependencies-only TU (Eigen/Dense, xtensor, nanoflann),
# the umbrella TU (infogeo/infogeo.hpp, nothing used), the README quickstart and each family header,
# at -O2 with OpenMP like the tests, and prints user CPU seconds (the minimum over ROUNDS runs: user
# time is far less disturbed than wall time by other load on a shared 2-core VM) and the ratio to the
# dependencies-only TU. Targets: umbrella <= 3x, quickstart <= 6x.
#   bash scripts/compile_cost.sh                 # TUs only (~2 minutes)
#   bash scripts/compile_cost.sh --full-build    # also the whole test build from clean, ccache off
# Env: CXX (default g++), ROUNDS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cxx="${CXX:-g++}"
rounds="${ROUNDS:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

eigen_dir=$(pkg-config --cflags-only-I eigen3 2>/dev/null | sed 's/-I//; s/[[:space:]]*$//' || true)
eigen_dir="${eigen_dir:-/usr/include/eigen3}"
flags=(-std=c++17 -O2 -fopenmp -I"$root/include" -I"$eigen_dir" -c -o /dev/null)

printf '#include <Eigen/Dense>\n#include <nanoflann.hpp>\n#include <xtensor/xarray.hpp>\nint main() {}\n' > "$work/deps.cpp"
printf '#include <infogeo/infogeo.hpp>\nint main() {}\n' > "$work/umbrella.cpp"
cp examples/quickstart.cpp "$work/quickstart.cpp"
tus=(deps umbrella quickstart)
for family in core entropy geometry io mi neighbors stats synthetic; do
  printf '#include <infogeo/%s.hpp>\nint main() {}\n' "$family" > "$work/$family.cpp"
  tus+=("$family")
done

declare -A best
for ((r = 0; r < rounds; ++r)); do
  for tu in "${tus[@]}"; do
    if ! /usr/bin/time -o "$work/time" -f '%U' "$cxx" "${flags[@]}" "$work/$tu.cpp" 2> "$work/err"; then
      echo "compile_cost.sh: $tu.cpp does not compile:" >&2; head -20 "$work/err" >&2; exit 1
    fi
    t=$(tail -1 "$work/time")
    if [[ -z "${best[$tu]:-}" ]] || awk -v a="$t" -v b="${best[$tu]}" 'BEGIN{exit !(a < b)}'; then best[$tu]=$t; fi
  done
done

echo "compiler: $($cxx --version | head -1); user seconds, min of $rounds; ratio to deps-only"
for tu in "${tus[@]}"; do
  awk -v n="$tu" -v t="${best[$tu]}" -v d="${best[deps]}" 'BEGIN{printf "%-12s %6.2f s  %5.2fx\n", n, t, t / d}'
done

if [[ "${1:-}" == "--full-build" ]]; then
  dir="$work/build"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 -DCMAKE_CXX_COMPILER_LAUNCHER= \
    -DINFOGEO_BUILD_TESTS=ON -DINFOGEO_BUILD_TOOLS=ON -DINFOGEO_BUILD_EXAMPLES=ON -DINFOGEO_BUILD_BENCHMARKS=OFF \
    > /dev/null
  start=$(date +%s.%N)
  CCACHE_DISABLE=1 cmake --build "$dir" -j "$(nproc)" > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v j="$(nproc)" 'BEGIN{printf "full test build from clean (ccache off, -j%d): %.0f s wall\n", j, e - s}'
fi
