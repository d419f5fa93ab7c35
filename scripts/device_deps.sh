#!/usr/bin/env bash
# Copies the header-only dependencies that the GPU machine lacks (nanoflann, xtensor, xtl, xsimd)
# into .devdeps/prefix with their CMake package files, keeping the /usr layout so that
# -DCMAKE_PREFIX_PATH=.devdeps/prefix finds them there. .devdeps is git-ignored and carried.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup
rm -rf .devdeps && mkdir -p .devdeps/prefix
for pkg in libnanoflann-dev libxtensor-dev xtl-dev libxsimd-dev; do
  dpkg -L "$pkg" | while read -r f; do
    [[ -f "$f" ]] || continue
    case "$f" in
      /usr/include/*|*/cmake/*)
        rel="${f#/usr/}"
        mkdir -p ".devdeps/prefix/$(dirname "$rel")"
        cp "$f" ".devdeps/prefix/$rel" ;;
    esac
  done
done
du -sh .devdeps
