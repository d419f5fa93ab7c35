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
