# Sourced by run_cli_tests.sh: the option contract of issue 14. Every option a method does not use
# is refused (exit 2, naming option and method); NaN / Inf option values are refused everywhere;
# range messages are ours (short, naming the value); the help lists methods and per-method options.

# expect_error NAME PATTERN -- ARGS...: exit 2, nothing on stdout, stderr matching PATTERN (grep -E).
expect_error() {
  local name="$1" pattern="$2"
  shift 3
  "$tool" "$@" >"$work/out.json" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -ne 2 ]]; then
    failed=$((failed + 1)); echo "FAIL $name: exit code $rc, expected 2; stderr: $(head -c 300 "$work/err.txt")"
  elif [[ -s "$work/out.json" ]]; then
    failed=$((failed + 1)); echo "FAIL $name: stdout not empty on error"
  elif ! grep -qE -- "$pattern" "$work/err.txt"; then
    failed=$((failed + 1)); echo "FAIL $name: stderr does not match '$pattern': $(head -c 300 "$work/err.txt")"
  else
    passed=$((passed + 1))
  fi
}

# expect_stdout NAME PATTERN -- ARGS...: exit 0 and stdout matching PATTERN (for --help text).
expect_stdout() {
  local name="$1" pattern="$2"
  shift 3
  "$tool" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local rc=$?
  if [[ $rc -ne 0 ]] || ! grep -qE -- "$pattern" "$work/out.txt"; then
    failed=$((failed + 1)); echo "FAIL $name: rc $rc, stdout does not match '$pattern'"
  else
    passed=$((passed + 1))
  fi
}

c="$work/contract"
"$tool" generate gaussian-mi --n 300 --dims 1,1 --mi 0.5 --seed 1 --out "$c" >/dev/null 2>&1
write_npy "$c/labels.npy" '<i8' '(300,)' $(for i in $(seq 300); do echo $((i % 3)); done)

# 1. Options apply or are refused (naming the option and the method).
expect_error refuse-bandwidth-ksg1 "--bandwidth does not apply to --method ksg1" -- mi --method ksg1 --bandwidth ml "$c/x.npy" "$c/y.npy"
expect_error refuse-bins-ksg1 "--bins does not apply to --method ksg1" -- mi --method ksg1 --bins 7 "$c/x.npy" "$c/y.npy"
expect_error refuse-bootstrap-ksg1 "--bootstrap does not apply to --method ksg1.*nearest neighbour" -- mi --method ksg1 --bootstrap 10 "$c/x.npy" "$c/y.npy"
expect_error refuse-bootstrap-kde "--bootstrap does not apply to --method kde" -- entropy --method kde --bootstrap 10 "$c/x.npy"
expect_error refuse-bootstrap-doe "--bootstrap does not apply to --method doe-gauss" -- mi --method doe-gauss --bootstrap 10 "$c/x.npy" "$c/y.npy"
expect_error refuse-weights-kl "--weights does not apply to --method kl" -- entropy --method kl --weights all "$c/x.npy"
expect_error refuse-no-standardize-entropy "--no-standardize does not apply to --method kl" -- entropy --method kl --no-standardize "$c/x.npy"
expect_error refuse-standardize-mi "--standardize does not apply to --method ksg1" -- mi --method ksg1 --standardize "$c/x.npy" "$c/y.npy"
expect_error refuse-k-auto "--k does not apply to --method auto" -- entropy --method auto --k 3 "$c/x.npy"
expect_error refuse-jitter-mixed "--jitter does not apply to --method mixed-ksg" -- mi --method mixed-ksg --jitter 0.1 "$c/x.npy" "$c/y.npy"
expect_error refuse-critic-club "--critic does not apply to --method club" -- mi --method club --critic concat "$c/x.npy" "$c/y.npy"
expect_error refuse-components-doe "--components does not apply to --method doe-gauss" -- mi --method doe-gauss --components 3 "$c/x.npy" "$c/y.npy"
expect_error refuse-pca-doe "--pca does not apply to --method doe-gauss" -- mi --method doe-gauss --pca 1 "$c/x.npy" "$c/y.npy"
expect_error refuse-pca-noisy "--pca does not apply to --method noisy" -- mi --method noisy --noise additive --sigma 1 --pca 1 "$c/x.npy"
expect_error refuse-groups-infonce "--groups does not apply to --method infonce" -- mi --method infonce --groups "$c/labels.npy" "$c/x.npy" "$c/y.npy"
expect_error refuse-sigma-binning "--sigma does not apply to --method binning" -- mi --method binning --sigma 1 "$c/x.npy" "$c/y.npy"
expect_error refuse-discrete-y-ksg "--discrete-y does not apply to --method ksg2" -- mi --method ksg2 --discrete-y "$c/x.npy" "$c/y.npy"
# Declared options still run; --bootstrap works where resampling is valid (Gaussian entropy).
expect gauss-bootstrap 0 "'interval' in json.dumps(j) or 'bootstrap' in json.dumps(j)" -- entropy --method gauss --bootstrap 20 --seed 2 "$c/x.npy"
expect ksg1-declared 0 "j['unit'] == 'nats'" -- mi --method ksg1 --k 4 --jitter 1e-10 --seed 3 --no-standardize "$c/x.npy" "$c/y.npy"
expect binning-declared 0 "j['unit'] == 'nats'" -- mi --method binning --bins 5 --miller-madow "$c/x.npy" "$c/labels.npy"

# NaN / Inf values are refused everywhere, naming option and value.
expect_error nan-jitter "jitter.*nan" -- entropy --method kl --jitter nan "$c/x.npy"
expect_error nan-bin-width "bin-width.*nan" -- mi --method binning --bin-width nan "$c/x.npy" "$c/y.npy"
expect_error inf-sigma "sigma.*inf" -- mi --method noisy --noise additive --sigma inf "$c/x.npy"
expect_error nan-generate-mi "--mi.*nan" -- generate gaussian-mi --mi nan --out "$c/nan"
expect_error inf-generate-nu "--nu.*inf" -- generate student-t-mi --nu inf --out "$c/nan"
expect_error nan-nc-rtol "--rtol.*nan" -- nc "$c/x.npy" "$c/labels.npy" --rtol nan
expect_error nan-vinfo-l2 "--l2.*nan" -- vinfo "$c/x.npy" "$c/labels.npy" --l2 nan

# Our range messages: short, naming the value (CLI11's printed the type's whole range).
expect_error k-zero-message "--k: must be an integer >= 1 \(value=0\)" -- mi --method ksg1 --k 0 "$c/x.npy" "$c/y.npy"
"$tool" mi --method ksg1 --k 0 "$c/x.npy" "$c/y.npy" 2>"$work/err.txt" >/dev/null
if [[ $(wc -c <"$work/err.txt") -lt 200 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL k-zero-short: $(head -c 300 "$work/err.txt")"; fi
expect_error bins-fraction "--bins: must be an integer" -- mi --method binning --bins 2.5 "$c/x.npy" "$c/y.npy"
expect_error bootstrap-one "--bootstrap: must be an integer >= 2" -- entropy --method gauss --bootstrap 1 "$c/x.npy"
expect_error lr-negative "--lr: must be > 0" -- mi --method doe-gauss --lr -1 "$c/x.npy" "$c/y.npy"
expect_error generate-classes-zero-message "--classes: must be an integer >= 1" -- generate class-toy --classes 0 --out "$c/neg"

# Help: the methods, one line each; a method's options and defaults.
expect_stdout mi-help-lists "ksg1 +Kraskov" -- mi --help
expect_stdout entropy-help-lists "wkl +weighted Kozachenko" -- entropy --help
expect_stdout mi-method-help "--k \(3\)" -- mi --method ksg1 --help
expect_stdout mi-method-help-doe "--components \(3\)" -- mi --method doe-mixture --help

# 4. Input hygiene (issue 14, item 4): labels are coded by value, sizes are checked against a memory
# estimate before allocating, uint64 and extreme values decode exactly, bad files and --out exit 2.
h="$work/hygiene"
mkdir -p "$h"
write_npy "$h/x.npy" '<f8' '(6, 2)' 0 0 1 0 5 5 6 5 0 9 1 9
# A label 5e7 is one class (it used to allocate 3.2 GB); negative labels are classes too; the output
# names classes by their original values.
write_npy "$h/y_huge.npy" '<i8' '(6,)' 0 0 50000000 50000000 -4 -4
expect labels-huge-value 0 "j['num_classes'] == 3 and j['class_values'] == [-4, 0, 50000000]" -- nc "$h/x.npy" "$h/y_huge.npy"
# A flipped high byte in one label (2^56 + 1) must not hang or allocate: 4 classes, answered at once.
write_npy "$h/y_flip.npy" '<i8' '(6,)' 0 0 1 1 72057594037927937 2
expect labels-flipped-byte 0 "j['num_classes'] == 4 and j['class_values'][-1] == 72057594037927937" -- nc "$h/x.npy" "$h/y_flip.npy"
expect vinfo-labels-by-value 0 "j['num_classes'] == 3" -- vinfo "$h/x.npy" "$h/y_huge.npy" --folds 2
# More distinct labels than the cap (100000) is refused naming the count, before the features are read.
python3 -c "
import struct
n = 100001
h = \"{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }\" % n
h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
open('$h/y_many.npy', 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + struct.pack('<%dq' % n, *range(n)))
"
expect_error labels-too-many-classes "100001 distinct values, more than the 100000 classes" -- nc "$h/x.npy" "$h/y_many.npy"
expect_error labels-too-many-classes-mi "100001 distinct values" -- mi --method ksg1 "$h/x.npy" "$h/y_many.npy"

# Sizes that imply huge allocations: refused with exit 2 naming option, value and estimated bytes.
expect_error memory-hidden "--hidden 100000000.*needs an estimated .* bytes\), more than the memory limit" -- mi --method doe-gauss --hidden 100000000 "$c/x.npy" "$c/y.npy"
expect_error memory-hidden-critic "--hidden 100000000.*needs an estimated" -- mi --method infonce --hidden 100000000 "$c/x.npy" "$c/y.npy"
expect_error memory-hidden-vinfo "--hidden 100000000.*needs an estimated" -- vinfo "$c/x.npy" "$c/labels.npy" --decoder mlp --hidden 100000000
expect_error memory-generate "--n 100000000 with --dims 100000,100000 needs an estimated" -- generate gaussian-mi --n 100000000 --dims 100000,100000 --out "$h/gen"
[[ ! -e "$h/gen" ]] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL memory-generate wrote $h/gen"; }
export INFOGEO_MEMORY_LIMIT_BYTES=1000000000  # 1 GB: the 2.5 GB of --components 100000 is refused
expect_error memory-components "--components 100000 .*needs an estimated [0-9.]+ GB" -- mi --method doe-mixture --components 100000 "$c/x.npy" "$c/y.npy"
export INFOGEO_MEMORY_LIMIT_BYTES=1000
expect_error memory-k "--k 300 .*N=300.*needs an estimated 1.44 MB \(1440000 bytes\)" -- mi --method ksg1 --k 300 "$c/x.npy" "$c/y.npy"
expect_error memory-nc-full "--mode full with C=3 classes, D=1 columns, N=300 rows needs an estimated" -- nc "$c/x.npy" "$c/labels.npy" --mode full
expect_error memory-pca "--pca 1 on D=1 columns .*needs an estimated" -- mi --method ksg1 --pca 1 "$c/x.npy" "$c/y.npy"
export INFOGEO_MEMORY_LIMIT_BYTES=lots
expect_error memory-limit-bad "INFOGEO_MEMORY_LIMIT_BYTES must be a positive integer number of bytes \(INFOGEO_MEMORY_LIMIT_BYTES=lots\)" -- nc "$c/x.npy" "$c/labels.npy"
unset INFOGEO_MEMORY_LIMIT_BYTES

# uint64 >= 2^63 decodes as the positive number (it used to wrap negative); info's mean / std are
# exact near the largest doubles (they used to print null).
write_npy "$h/u64.npy" '<u8' '(2,)' 9223372036854779904 9223372036854779904
expect info-uint64-large 0 "j['dtype'] == 'uint64' and j['columns'][0]['mean'] == 9223372036854779904.0 and j['columns'][0]['std'] == 0.0" -- info "$h/u64.npy"
write_npy "$h/big.npy" '<f8' '(3,)' 1e308 1.5e308 1.7e308
expect info-near-1e308 0 "abs(j['columns'][0]['mean'] / 1.4e308 - 1) < 1e-15 and abs(j['columns'][0]['std'] / 3.605551275463989e307 - 1) < 1e-14" -- info "$h/big.npy"
# A header that is not ASCII (a corrupt file): exit 2 naming the byte, not an internal error.
python3 -c "
h = \"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\"
h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
b = bytearray(b'\x93NUMPY\x01\x00' + len(h).to_bytes(2, 'little') + h.encode() + bytes(8))
b[10 + 20] = 0xe9
open('$h/latin1.npy', 'wb').write(bytes(b))
"
expect_error npy-non-ascii-header "header that is not ASCII text \(byte 0xe9 at header offset 20" -- info "$h/latin1.npy"
# --out naming an existing regular file: exit 2 before anything is generated.
printf 'not a directory' >"$h/a_file"
expect_error generate-out-file "--out must name a directory .*\(out=$h/a_file\)" -- generate gaussian-mi --out "$h/a_file"
# Seeds are recorded exactly (2^53 + 1 used to print as 2^53).
expect seed-exact-generate 0 "j['seed'] == 9007199254740993" -- generate gaussian-mi --n 50 --seed 9007199254740993 --out "$h/seeded"
expect seed-exact-mi 0 "j['parameters']['seed'] == 9007199254740993" -- mi --method ksg1 --jitter 1e-10 --seed 9007199254740993 "$c/x.npy" "$c/y.npy"
