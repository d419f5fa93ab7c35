#!/usr/bin/env bash
# Compile cost of including infogeo (issue: "including infogeo must cost seconds").
# Compiles, in the same run and interleaved, a dependencies-only TU (Eigen/Dense, xtensor, nanoflann),
# the umbrella TU (infogeo/infogeo.hpp, nothing used), the README quickstart (examples/quickstart.cpp:
# the two estimator headers it uses; also through the umbrella, quickstart_umbrella) and each family header,
# at -O2 with OpenMP like the tests, and prints user CPU seconds (the minimum over ROUNDS runs: user
# time is far less disturbed than wall time by other load on a shared 2-core VM) and the ratio to the
# dependencies-only TU. Targets: umbrella <= 3x, quickstart <= 6x.
#   bash scripts/compile_cost.sh                 # TUs only (~2 minutes)
#   bash scripts/compile_cost.sh --full-build    # also the whole test build from clean, ccache off
#   bash scripts/compile_cost.sh --full-build-only
# The full build times every compile (scripts/time_compile.sh) and prints CPU seconds (user + sys)
# per group (tool, tests, examples, header check), the total and the largest TUs.
# Env: CXX (default g++), ROUNDS (default 3), JOBS (full build, default nproc), EXTRA_CMAKE_ARGS,
# KEEP_COMPILE_LOG (copy the per-TU log there), TOP (largest TUs listed, default 12).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cxx="${CXX:-g++}"
rounds="${ROUNDS:-3}"
jobs="${JOBS:-$(nproc)}"
case "${1:-}" in
  "") mode=tus ;;
  --full-build) mode=both ;;
  --full-build-only) mode=full ;;
  *) echo "compile_cost.sh: unknown argument ${1} (--full-build | --full-build-only)" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

eigen_dir=$(pkg-config --cflags-only-I eigen3 2>/dev/null | sed 's/-I//; s/[[:space:]]*$//' || true)
eigen_dir="${eigen_dir:-/usr/include/eigen3}"
flags=(-std=c++17 -O2 -fopenmp -I"$root/include" -I"$eigen_dir" -c -o /dev/null)

printf '#include <Eigen/Dense>\n#include <nanoflann.hpp>\n#include <xtensor/xarray.hpp>\nint main() {}\n' > "$work/deps.cpp"
printf '#include <infogeo/infogeo.hpp>\nint main() {}\n' > "$work/umbrella.cpp"
cp examples/quickstart.cpp "$work/quickstart.cpp"
# The same program through the umbrella header instead of the two estimator headers it uses.
grep -v '^#include <infogeo/' examples/quickstart.cpp | sed '1a #include <infogeo/infogeo.hpp>' > "$work/quickstart_umbrella.cpp"
tus=(deps umbrella quickstart quickstart_umbrella)
for family in core entropy geometry io mi neighbors stats synthetic; do
  printf '#include <infogeo/%s.hpp>\nint main() {}\n' "$family" > "$work/$family.cpp"
  tus+=("$family")
done

if [[ "$mode" != "full" ]]; then
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
    awk -v n="$tu" -v t="${best[$tu]}" -v d="${best[deps]}" 'BEGIN{printf "%-19s %6.2f s  %5.2fx\n", n, t, t / d}'
  done
fi

if [[ "$mode" != "tus" ]]; then
  # The build `bash scripts/test` does (tests, tool, examples; LibTorch off as in CI step 1), from
  # clean, every compile timed by scripts/time_compile.sh (ccache off). EXTRA_CMAKE_ARGS are appended
  # (e.g. -DINFOGEO_HEADER_CHECK=ON to include the compile-alone header check).
  dir="$work/build"
  log="$work/compile_times.txt"
  : > "$log"
  # shellcheck disable=SC2086
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O2 \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$root/scripts/time_compile.sh" -DINFOGEO_WITH_TORCH=OFF \
    -DINFOGEO_BUILD_TESTS=ON -DINFOGEO_BUILD_TOOLS=ON -DINFOGEO_BUILD_EXAMPLES=ON -DINFOGEO_BUILD_BENCHMARKS=OFF \
    ${EXTRA_CMAKE_ARGS:-} > /dev/null
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  INFOGEO_COMPILE_LOG="$log" CCACHE_DISABLE=1 cmake --build "$dir" -j "$jobs" > "$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; exit 1; }
  end=$(date +%s.%N)
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  [[ -n "${KEEP_COMPILE_LOG:-}" ]] && cp "$log" "$KEEP_COMPILE_LOG"
  echo "full test build from clean (ccache off, -j$jobs): $(awk -v s="$start" -v e="$end" 'BEGIN{printf "%.0f", e - s}') s wall;" \
    "load average before: $load_before, after: $load_after"
  # CPU seconds (user + sys) per group of TUs, the total, and the ideal 2-core wall (total / 2).
  awk '{
      cpu = $1 + $2; out = $4; g = "other";
      if (out ~ /infogeo_header_check\.dir/) g = "header check";
      else if (out ~ /infogeo_cli_objects\.dir/) g = "tool";
      else if (out ~ /(test_[a-z0-9_]*|infogeo_doctest_main|infogeo_test_pch)\.dir/) g = "tests";
      else if (out ~ /example_[a-z0-9_]*\.dir/) g = "examples";
      sum[g] += cpu; count[g]++; total += cpu; n++
    }
    END {
      for (g in sum) printf "  %-13s %4d TUs %8.1f CPU s  %3.0f %%\n", g, count[g], sum[g], 100 * sum[g] / total
      printf "  %-13s %4d TUs %8.1f CPU s  (ideal 2-core wall %.0f s = %.1f min)\n", "total", n, total, total / 2, total / 120
    }' "$log"
  echo "largest TUs (CPU s = user + sys):"
  awk '{printf "  %7.1f  %s\n", $1 + $2, $4}' "$log" | sort -rn | head -"${TOP:-12}"
fi
