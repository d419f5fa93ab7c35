#!/usr/bin/env bash
# Compiler launcher that times every compile: set as CMAKE_CXX_COMPILER_LAUNCHER, it runs the
# compile command under /usr/bin/time and appends "USER_S SYS_S WALL_S OUTPUT" to the file named by
# INFOGEO_COMPILE_LOG. scripts/compile_cost.sh --full-build uses it to report CPU seconds per TU
# (user + sys is far less disturbed than wall time by other builds on a shared machine).
set -euo pipefail
log="${INFOGEO_COMPILE_LOG:?time_compile.sh: set INFOGEO_COMPILE_LOG to the log file}"
out=unknown
prev=""
for arg in "$@"; do
  if [[ "$prev" == "-o" ]]; then out="$arg"; fi
  prev="$arg"
done
exec /usr/bin/time -a -o "$log" -f "%U %S %e $out" "$@"
