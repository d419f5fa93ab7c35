#!/usr/bin/env bash
# The torch methods of infogeo-torch (INFOGEO_WITH_TORCH; tools/infogeo/torch/): same numbers as
# the CPU methods to 1e-9 relative, one JSON object on stdout, exit 2 on refused options.
# Usage: torch_methods.sh PATH/TO/infogeo-torch WORKDIR   (each call loads LibTorch: ~1 s; keep calls few)
set -uo pipefail
tool="$1"
work="$2"
rm -rf "$work" && mkdir -p "$work"
failed=0
export INFOGEO_TORCH_DEVICE=cpu
"$tool" generate gaussian-mi --n 800 --dims 2,3 --seed 4 --out "$work/g" >/dev/null || { echo "FAIL generate"; exit 1; }
same() {  # same NAME CPU_ARGS... -- TORCH_ARGS...
  local name="$1"; shift
  local cpu=() tor=()
  while [[ "$1" != "--" ]]; do cpu+=("$1"); shift; done
  shift
  tor=("$@")
  "$tool" "${cpu[@]}" >"$work/cpu.json" 2>"$work/err.txt" || { echo "FAIL $name (cpu): $(cat "$work/err.txt")"; failed=$((failed + 1)); return; }
  "$tool" "${tor[@]}" >"$work/torch.json" 2>"$work/err.txt" || { echo "FAIL $name (torch): $(cat "$work/err.txt")"; failed=$((failed + 1)); return; }
  python3 -c "
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert b['unit'] == 'nats' and abs(a['value'] - b['value']) <= 1e-9 * abs(a['value']), (a['value'], b['value'])
" "$work/cpu.json" "$work/torch.json" || { echo "FAIL $name: values differ"; failed=$((failed + 1)); }
}
same kl entropy --method kl --k 4 "$work/g/x.npy" -- entropy --method kl-torch --k 4 "$work/g/x.npy"
same ksg1 mi --method ksg1 --no-standardize "$work/g/x.npy" "$work/g/y.npy" -- mi --method ksg1-torch "$work/g/x.npy" "$work/g/y.npy"
same ksg2 mi --method ksg2 --no-standardize --k 5 "$work/g/x.npy" "$work/g/y.npy" -- mi --method ksg2-torch --k 5 "$work/g/x.npy" "$work/g/y.npy"
"$tool" entropy --method kl-torch --standardize "$work/g/x.npy" >"$work/out.json" 2>"$work/err.txt"
rc=$?
if [[ $rc -ne 2 || -s "$work/out.json" ]] || ! grep -q "not available on the device" "$work/err.txt"; then
  echo "FAIL kl-torch --standardize: rc=$rc, stderr: $(cat "$work/err.txt")"; failed=$((failed + 1))
fi
INFOGEO_TORCH_DEVICE=tpu "$tool" entropy --method kl-torch --metric chebyshev "$work/g/x.npy" >/dev/null 2>"$work/err.txt"
[[ $? -eq 2 ]] || { echo "FAIL bad INFOGEO_TORCH_DEVICE"; failed=$((failed + 1)); }
echo "torch methods: $failed failed"
[[ $failed -eq 0 ]]
