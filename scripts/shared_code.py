#!/usr/bin/env python3
"""Which compiled code is duplicated across the build's translation units.

Header-only code is compiled in every TU that uses it: the same template instantiation (same
mangled name) then appears as a weak symbol in several object files, each optimised separately.
This script reads the object files of a build directory with `nm -S` and prints
  1. per object: its code size and how much of it another object also holds;
  2. the duplicated code (size x (copies - 1)) by namespace;
  3. for the largest objects, the code each pair shares (merging a pair into one unity TU saves
     roughly that share of their compile time; docs/performance_compile.md, session 13);
  4. the largest duplicated symbols.
Code size is a proxy for -O2 compile time, not a measurement of it: confirm with timed compiles.

Usage: python3 scripts/shared_code.py BUILD_DIR [--top N]
"""
import argparse
import collections
import pathlib
import subprocess
import sys

CODE_SYMBOL_TYPES = set("TtWwVv")
# Only weak (COMDAT) symbols can be the same code in two objects: inline functions and template
# instantiations. Local symbols (t) of the same name in two objects are different functions.
SHAREABLE_TYPES = set("WwVv")
NAMESPACES = ["infogeo::", "Eigen::", "std::", "CLI::", "nlohmann::", "doctest::", "xt::", "nanoflann::"]


def object_label(path):
    text = str(path)
    target = text.split("CMakeFiles/")[-1].split(".dir")[0]
    return f"{target}/{path.stem.split('.')[0]}"


def read_symbols(path):
    out = subprocess.run(["nm", "-S", str(path)], capture_output=True, text=True, check=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in CODE_SYMBOL_TYPES:
            name = fields[3] if fields[2] in SHAREABLE_TYPES else f"{fields[3]} (local to {path})"
            symbols[name] = int(fields[1], 16)
    return symbols


def namespace_of(demangled):
    first = min(((demangled.find(ns), ns) for ns in NAMESPACES if ns in demangled), default=(-1, "other"))
    return first[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=pathlib.Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    objects = [p for p in args.build_dir.rglob("*.o") if "header_check" not in str(p) and "pch" not in str(p)]
    if not objects:
        sys.exit(f"shared_code.py: no object files under {args.build_dir}")
    symbols = {p: read_symbols(p) for p in objects}
    copies = collections.Counter(s for table in symbols.values() for s in table)
    size = {}
    for table in symbols.values():
        for s, n in table.items():
            size[s] = max(size.get(s, 0), n)
    duplicated = [s for s in copies if copies[s] > 1]
    demangled = dict(zip(duplicated, subprocess.run(["c++filt"], input="\n".join(duplicated), capture_output=True,
                                                    text=True, check=True).stdout.splitlines()))

    print("object                                          code KiB   also in another object")
    by_size = sorted(objects, key=lambda p: -sum(symbols[p].values()))
    for p in by_size:
        total = sum(symbols[p].values())
        shared = sum(n for s, n in symbols[p].items() if copies[s] > 1)
        print(f"{object_label(p)[:46]:46s} {total / 1024:9.0f}   {shared / 1024:7.0f} KiB ({100 * shared / max(total, 1):3.0f} %)")

    print("\nduplicated code (size x (copies - 1)) by namespace:")
    per_namespace = collections.Counter()
    for s in duplicated:
        per_namespace[namespace_of(demangled[s])] += size[s] * (copies[s] - 1)
    for ns, n in per_namespace.most_common():
        print(f"  {ns:12s} {n / 1024:7.0f} KiB")

    largest = by_size[:6]
    print("\ncode shared by pairs of the largest objects (KiB):")
    for a in largest:
        row = "".join(f"{sum(n for s, n in symbols[a].items() if s in symbols[b]) / 1024:8.0f}" if a != b else "       -"
                      for b in largest)
        print(f"  {object_label(a)[:40]:40s}{row}")

    print(f"\nlargest duplicated symbols (KiB x (copies - 1)):")
    for s in sorted(duplicated, key=lambda s: -size[s] * (copies[s] - 1))[: args.top]:
        print(f"  {size[s] * (copies[s] - 1) / 1024:6.1f}  x{copies[s]}  {demangled[s][:140]}")


if __name__ == "__main__":
    main()
