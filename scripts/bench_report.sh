#!/usr/bin/env bash
# Regenerates docs/results.md: the standard benchmark suite (every registered estimator on every
# task with known truth), with the machine, the date, the commit and the exact command.
#   bash scripts/bench_report.sh                 (standard suite, the suite's n and reps)
#   bash scripts/bench_report.sh --reps 3        (extra arguments go to `infogeo bench`)
#   INFOGEO_COMMIT=abc1234 bash ...              (the commit to print, where git metadata is stale: the GPU
#                                                 machine runs a copy of the working tree)
#   bash scripts/bench_report.sh --threads 16 --parallel-cells   (the standard suite in ~2.5 min on 16 cores)
# Exits non-zero (after writing the page) when an estimator failed, like `infogeo bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build-bench}"
suite="${SUITE:-standard}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DINFOGEO_BUILD_TESTS=OFF -DINFOGEO_BUILD_BENCHMARKS=OFF \
  -DINFOGEO_BUILD_EXAMPLES=OFF -DINFOGEO_BUILD_TOOLS=ON >&2
cmake --build "$build" --target infogeo_cli -j "$(nproc)" >&2
mkdir -p docs/results
table="$(mktemp)"
status=0
"$build/bin/infogeo" bench --suite "$suite" --format markdown --out "docs/results/bench_$suite.csv" \
  --plot "docs/results/bench_$suite.svg" "$@" > "$table" || status=$?
cpu="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || true)"
{
  echo "# Benchmark results"
  echo
  echo "Every registered estimator on every task of the \`$suite\` suite (docs/harness.md): truth, mean"
  echo "estimate, bias, std and RMSE over independent data sets (nats), and the median wall time of one"
  echo "estimate. Regenerate with:"
  echo
  echo '```sh'
  echo "bash scripts/bench_report.sh $*"
  echo '```'
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- commit: ${INFOGEO_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr)"
  echo "- tool: $("$build/bin/infogeo" --version)"
  echo "- CSV: [results/bench_$suite.csv](results/bench_$suite.csv), plot: [results/bench_$suite.svg](results/bench_$suite.svg)"
  echo
  echo "Times are wall-clock on a shared machine: compare them within one table only. The status is the"
  echo "estimator's verdict (docs/verdicts.md): \`ok\`; \`warning\` (a value, with the reason codes in the"
  echo "notes); \`refused\` (infogeo::numerical_error / refused_error: no honest number for that data);"
  echo "\`failed\` would be a bug and makes the command exit non-zero."
  echo "\"ok beyond tolerance\" counts values no check flagged that miss the truth by more than the tolerance."
  echo "These cells are the checks' misses (docs/verdicts.md). The variational bounds (infonce, nwj, mine, smile:"
  echo "lower bounds; club: an upper bound) are ok only when a reference estimator without warnings confirms them"
  echo "(bound_gap, bound_unconfirmed); KDE, the entropy differences and DoE are cross-checked against the same"
  echo "references (estimators_disagree)."
  echo
  cat "$table"
} > docs/results.md
rm -f "$table"
echo "bench_report: wrote docs/results.md (bench exit status $status)" >&2
exit "$status"
