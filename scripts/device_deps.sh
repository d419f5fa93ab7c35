#!/usr/bin/env bash
# Copies the header-only dependencies that the GPU machine lacks (nanoflann, xtensor, xtl, xsimd,
# Eigen, doctest, CLI11, nlohmann-json, zlib.h for io/idx.hpp)
# into .devdeps/prefix with their CMake package files, keeping the /usr layout so that
# -DCMAKE_PREFIX_PATH=.devdeps/prefix finds them there. .devdeps is git-ignored and carried.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup
rm -rf .devdeps && mkdir -p .devdeps/prefix
for pkg in libnanoflann-dev libxtensor-dev xtl-dev libxsimd-dev libeigen3-dev doctest-dev libcli11-dev nlohmann-json3-dev zlib1g-dev; do
  dpkg -L "$pkg" | while read -r f; do
    [[ -f "$f" ]] || continue
    case "$f" in
      /usr/include/*|*/cmake/*)
        rel="${f#/usr/}"
        mkdir -p ".devdeps/prefix/$(dirname "$rel")"
        cp "$f" ".devdeps/prefix/$rel"
        # Package files that hard-code the /usr prefix (doctest's) get it relative to themselves.
        if [[ "$f" == *.cmake ]] && grep -q 'set(_IMPORT_PREFIX "/usr")' ".devdeps/prefix/$rel"; then
          up=$(dirname "$rel" | sed 's|[^/]*|..|g')
          sed -i "s|set(_IMPORT_PREFIX \"/usr\")|get_filename_component(_IMPORT_PREFIX \"\${CMAKE_CURRENT_LIST_DIR}/$up\" ABSOLUTE)|" \
            ".devdeps/prefix/$rel"
        fi ;;
    esac
  done
done
du -sh .devdeps
