#!/usr/bin/env bash
# The infogeo tool's output contract, checked end to end:
#   exactly one JSON object on stdout; "value" + "unit": "nats" for estimates;
#   exit 2 + message on stderr for bad input; nothing but JSON on stdout.
# Usage: run_cli_tests.sh PATH/TO/infogeo WORKDIR
set -uo pipefail
tool="$1"
work="$2"
rm -rf "$work" && mkdir -p "$work"
passed=0
failed=0

# write_npy FILE DESCR SHAPE VALUES...  (little-endian .npy v1.0 via the Python stdlib only)
write_npy() {
  python3 - "$@" <<'PY'
import struct, sys
path, descr, shape = sys.argv[1], sys.argv[2], sys.argv[3]
values = [float(v) for v in sys.argv[4:]]
fmt = {'<f8': 'd', '<f4': 'f', '<i8': 'q', '<i4': 'i', '<u8': 'Q'}[descr]
if fmt in 'qiQ':
    values = [int(v) for v in sys.argv[4:]]
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
with open(path, 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
    f.write(struct.pack('<%d%s' % (len(values), fmt), *values))
PY
}

# expect NAME EXPECTED_RC [PYTHON_ASSERTION] -- ARGS...
# Runs the tool, checks the exit code; for rc 0 checks stdout is ONE JSON object and evaluates
# the assertion with `j` bound to it; for rc != 0 checks stderr is non-empty and stdout empty.
expect() {
  local name="$1" want="$2" check="$3"
  shift 4
  "$tool" "$@" >"$work/out.json" 2>"$work/err.txt"
  local rc=$?
  local ok=1
  if [[ $rc -ne $want ]]; then
    ok=0
    echo "FAIL $name: exit code $rc, expected $want; stderr: $(head -c 400 "$work/err.txt")"
  elif [[ $want -eq 0 ]]; then
    if ! python3 -c "
import json, math, sys
j = json.loads(open(sys.argv[1]).read())
assert isinstance(j, dict), 'stdout is not a JSON object'
assert eval(sys.argv[2]), 'assertion failed: ' + sys.argv[2]
" "$work/out.json" "$check" 2>"$work/py.txt"; then
      ok=0
      echo "FAIL $name: $(tail -n 2 "$work/py.txt")"
    fi
  else
    if [[ ! -s "$work/err.txt" ]]; then ok=0; echo "FAIL $name: no message on stderr"; fi
    if [[ -s "$work/out.json" ]]; then ok=0; echo "FAIL $name: stdout not empty on error"; fi
  fi
  if [[ $ok -eq 1 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

write_npy "$work/x.npy" '<f8' '(4, 2)' 1 2 3 4 5 6 7 8
write_npy "$work/nan.npy" '<f8' '(2, 1)' 1 nan
write_npy "$work/labels.npy" '<i8' '(4,)' 0 1 0 1
printf 'garbage' >"$work/corrupt.npy"

"$tool" --version | grep -q '^infogeo [0-9]*\.[0-9]*\.[0-9]*$' && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL version"; }

expect info-shape 0 "j['shape'] == [4, 2] and j['dtype'] == 'float64' and j['nan'] == 0 and abs(j['columns'][0]['mean'] - 4.0) < 1e-12" -- info "$work/x.npy"
expect info-nan 0 "j['nan'] == 1 and j['finite'] == 1" -- info "$work/nan.npy"
expect info-corrupt 2 "" -- info "$work/corrupt.npy"
expect info-missing 2 "" -- info "$work/missing.npy"
expect no-subcommand 2 "" --
expect unknown-option 2 "" -- info --bogus "$work/x.npy"
expect entropy-unknown-method 2 "" -- entropy --method no-such-method "$work/x.npy"
expect mi-unknown-method 2 "" -- mi --method no-such-method "$work/x.npy" "$work/labels.npy"

# Estimator families add their own checks in tests/cli/*.sh (sourced here, sharing `expect`).
for extra in "$(dirname "$0")"/cli_*.sh; do
  [[ -e "$extra" ]] && source "$extra"
done

echo "cli contract: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
