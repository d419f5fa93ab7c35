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
if [[ $rc -ne 2 || -s "$work/out.json" ]] || ! grep -q "the data as given" "$work/err.txt"; then
  echo "FAIL kl-torch --standardize: rc=$rc, stderr: $(cat "$work/err.txt")"; failed=$((failed + 1))
fi
INFOGEO_TORCH_DEVICE=tpu "$tool" entropy --method kl-torch --metric chebyshev "$work/g/x.npy" >/dev/null 2>"$work/err.txt"
[[ $? -eq 2 ]] || { echo "FAIL bad INFOGEO_TORCH_DEVICE"; failed=$((failed + 1)); }
same mixed-ksg mi --method mixed-ksg --no-standardize --k 3 "$work/g/x.npy" "$work/g/y.npy" -- mi --method mixed-ksg-torch --k 3 "$work/g/x.npy" "$work/g/y.npy"

# --compress ae:N: any load_xy method on autoencoder codes (8x8 Gaussian bumps, 2-D latents, I = 1).
"$tool" generate image-gaussians --n 600 --size 8 --mi 1 --seed 3 --out "$work/img" >/dev/null 2>"$work/err.txt" ||
  { echo "FAIL generate image-gaussians: $(cat "$work/err.txt")"; failed=$((failed + 1)); }
for m in ksg1 wkl; do
  "$tool" mi --method $m --compress ae:2 --ae-epochs 30 --seed 1 "$work/img/x.npy" "$work/img/y.npy" \
    >"$work/ae_$m.json" 2>"$work/err.txt" || { echo "FAIL --compress ae:2 $m: $(cat "$work/err.txt")"; failed=$((failed + 1)); continue; }
  python3 -c "
import json, math, sys
j = json.load(open(sys.argv[1]))
c = j['settings']['compress_x']
assert j['unit'] == 'nats' and math.isfinite(j['value']) and j['dims'] == 4, j
assert c['latent'] == 2 and c['input_dims'] == 64 and c['arch'] == 'mlp' and c['epochs'] == 30, c
assert 0 < c['reconstruction_mae'] < c['baseline_mae'] and 'compress_y' in j['settings'], c
assert j['preprocessing']['compress_x'] == c
# Truth 1 nat: a loose sanity band (the library test states the accuracy; here 30 epochs on 600 images).
assert 0.3 < j['value'] < 1.5, j['value']
" "$work/ae_$m.json" || { echo "FAIL --compress ae:2 $m: output"; failed=$((failed + 1)); }
done
# Deterministic for a seed (CPU): the same call twice gives the same number; conv runs too.
"$tool" mi --method ksg1 --compress ae:2 --ae-epochs 30 --seed 1 "$work/img/x.npy" "$work/img/y.npy" >"$work/ae_again.json" 2>/dev/null
python3 -c "
import json, sys
assert json.load(open(sys.argv[1]))['value'] == json.load(open(sys.argv[2]))['value']
" "$work/ae_ksg1.json" "$work/ae_again.json" || { echo "FAIL --compress not deterministic"; failed=$((failed + 1)); }
"$tool" mi --method ksg1 --compress ae:2 --ae-arch conv --ae-epochs 2 "$work/img/x.npy" "$work/img/y.npy" >"$work/ae_conv.json" 2>"$work/err.txt" &&
  python3 -c "
import json, sys
assert json.load(open(sys.argv[1]))['settings']['compress_x']['arch'] == 'conv'
" "$work/ae_conv.json" || { echo "FAIL --ae-arch conv: $(cat "$work/err.txt")"; failed=$((failed + 1)); }
refused() {  # refused NAME GREP ARGS...: exit 2, nothing on stdout, stderr names the problem
  local name="$1" pattern="$2"; shift 2
  "$tool" "$@" >"$work/out.json" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -ne 2 || -s "$work/out.json" ]] || ! grep -q -- "$pattern" "$work/err.txt"; then
    echo "FAIL $name: rc=$rc, stderr: $(cat "$work/err.txt")"; failed=$((failed + 1))
  fi
}
refused "compress spec" "must be ae:N" mi --method ksg1 --compress pca:2 "$work/img/x.npy" "$work/img/y.npy"
refused "compress size" "ae:N needs one code size" mi --method ksg1 --compress ae:0 "$work/img/x.npy" "$work/img/y.npy"
refused "compress + pca" "alternatives" mi --method ksg1 --compress ae:2 --pca 2 "$work/img/x.npy" "$work/img/y.npy"
refused "ae-arch" "--ae-arch must be mlp or conv" mi --method ksg1 --compress ae:2 --ae-arch rnn "$work/img/x.npy" "$work/img/y.npy"
refused "ae-epochs alone" "need --compress" mi --method ksg1 --ae-epochs 3 "$work/img/x.npy" "$work/img/y.npy"
refused "compress entropy" "does not apply to" entropy --method kl --compress ae:2 "$work/img/x.npy"
refused "compress conv side" "power of two" mi --method ksg1 --compress ae:2 --ae-arch conv "$work/g/x.npy" "$work/g/y.npy"

echo "torch methods: $failed failed"
[[ $failed -eq 0 ]]
