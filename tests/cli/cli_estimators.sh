# Sourced by run_cli_tests.sh: end-to-end checks of generate -> entropy / mi / nc against known truth,
# with the output contract (one JSON object, "value" in nats, exit 2 on bad input).
# Tolerances: N = 4000 samples; KSG/KL standard deviations are ~0.02 nats there, so 0.1 is > 4 sigma.

expect generate-gaussian-mi 0 "abs(j['value'] - 0.7) < 1e-12" -- generate gaussian-mi --n 4000 --dims 2,2 --mi 0.7 --seed 3 --out "$work/gmi"
expect generate-entropy 0 "j['value'] > 0" -- generate gaussian-entropy --n 4000 --dims 3 --seed 4 --out "$work/gent"
expect generate-class-toy 0 "'value' in j" -- generate class-toy --n 3000 --seed 5 --out "$work/toy"
expect generate-list 0 "len(j['tasks']) >= 8" -- generate --list
expect generate-unknown 2 "" -- generate no-such-task --out "$work/none"

expect mi-ksg1 0 "abs(j['value'] - 0.7) < 0.1 and j['unit'] == 'nats'" -- mi --method ksg1 --k 3 "$work/gmi/x.npy" "$work/gmi/y.npy"
expect mi-ksg2 0 "abs(j['value'] - 0.7) < 0.1" -- mi --method ksg2 "$work/gmi/x.npy" "$work/gmi/y.npy"
expect mi-kl 0 "abs(j['value'] - 0.7) < 0.15" -- mi --method kl "$work/gmi/x.npy" "$work/gmi/y.npy"
expect mi-k-too-large 2 "" -- mi --method ksg1 --k 5000 "$work/gmi/x.npy" "$work/gmi/y.npy"
expect mi-mismatched-rows 2 "" -- mi --method ksg1 "$work/gmi/x.npy" "$work/labels.npy"
expect entropy-kl 0 "j['unit'] == 'nats' and j['n'] == 4000 and j['dims'] == 3" -- entropy --method kl --k 5 "$work/gent/x.npy"
expect entropy-wkl 0 "j['unit'] == 'nats'" -- entropy --method wkl "$work/gent/x.npy"
expect entropy-nan 2 "" -- entropy --method kl "$work/nan.npy"
expect entropy-bad-metric 2 "" -- entropy --method kl --metric manhattan "$work/gent/x.npy"

toy_x="$work/toy/z.npy"
toy_y="$work/toy/labels.npy"
expect nc-projected 0 "all(k in j for k in ['tr_sw_sbpinv','nc1','trace_ratio','tr_sw','cdnv','rank','num_classes','n','dim']) and j['n'] == 3000" -- nc "$toy_x" "$toy_y" --mode projected
expect nc-full-equals-projected 0 "j['mode'] == 'full' if 'mode' in j else True" -- nc "$toy_x" "$toy_y" --mode full
expect nc-mismatched 2 "" -- nc "$toy_x" "$work/labels.npy"
expect nc-bad-mode 2 "" -- nc "$toy_x" "$toy_y" --mode sideways

expect doe-gauss 0 "abs(j['value'] - 0.7) < 0.2 and 'converged' in json.dumps(j)" -- mi --method doe-gauss --epochs 20 --hidden 16 "$work/gmi/x.npy" "$work/gmi/y.npy"
expect doe-bad-lr 2 "" -- mi --method doe-gauss --lr -1 "$work/gmi/x.npy" "$work/gmi/y.npy"
