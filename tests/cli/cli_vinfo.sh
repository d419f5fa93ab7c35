# Sourced by run_cli_tests.sh: `infogeo vinfo` (V-information, docs/vinfo.md) end to end.
# Data: the class toy written by cli_estimators.sh's `generate class-toy` (3000 rows) when present,
# and a tiny XOR-free 2-class file written here. Truth checks are loose (the library tests hold the
# tight ones): sufficiency in (0, label_entropy], train >= held-out - noise, minimality in [0, H].
write_npy "$work/vx.npy" '<f8' '(12, 2)' 0 0 0.1 0.2 0.2 0.1 -0.1 0.1 0.1 -0.2 0 0.3 3 3 3.1 3.2 2.9 3.1 3.2 2.8 3 3.3 2.8 3
write_npy "$work/vy.npy" '<i8' '(12,)' 0 0 0 0 0 0 1 1 1 1 1 1
write_npy "$work/vy_one.npy" '<i8' '(12,)' 4 4 4 4 4 4 4 4 4 4 4 4
write_npy "$work/vy_short.npy" '<i8' '(11,)' 0 0 0 0 0 0 1 1 1 1 1
write_npy "$work/vx_nan.npy" '<f8' '(12, 1)' 0 1 2 3 4 5 6 7 8 9 10 nan

expect vinfo-separable 0 "j['unit'] == 'nats' and abs(j['label_entropy'] - 0.6931471805599453) < 1e-12 and 0.5 < j['sufficiency'] <= j['label_entropy'] and j['sufficiency_train'] > 0.5 and j['status'] in ('ok', 'warning') and j['decoder'] == 'linear_softmax' and j['protocol'] == 'holdout'" -- vinfo "$work/vx.npy" "$work/vy.npy"
expect vinfo-kfold-minimality 0 "j['folds'] == 3 and len(j['fits']) == 3 and 0 <= j['minimality'] <= j['label_entropy'] + 1e-9 and len(j['minimality_per_class']) == 2 and j['digits'] == 3 and len(j['minimality_cells']) == 6" -- vinfo "$work/vx.npy" "$work/vy.npy" --folds 3 --minimality
if [[ -s "$work/err.txt" ]] && grep -q "minimality: label" "$work/err.txt"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL vinfo-progress-on-stderr"
fi
expect vinfo-mlp 0 "j['decoder'] == 'mlp' and j['sufficiency'] <= j['label_entropy'] + 1e-9 and 'converged' in j['fits'][0]" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --hidden 8 --epochs 20 --seed 2
expect vinfo-deterministic 0 "True" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --hidden 8 --epochs 20 --seed 2
cp "$work/out.json" "$work/vinfo_first.json"
"$tool" vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --hidden 8 --epochs 20 --seed 2 >"$work/vinfo_second.json" 2>/dev/null
if cmp -s "$work/vinfo_first.json" "$work/vinfo_second.json"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL vinfo-same-seed-same-output"
fi
if [[ -e "$toy_x" ]]; then
  expect vinfo-class-toy 0 "0 < j['sufficiency'] <= j['label_entropy'] and j['n'] == 3000" -- vinfo "$toy_x" "$toy_y" --folds 2 --l2 1e-3
fi
expect vinfo-mismatched-rows 2 "" -- vinfo "$work/vx.npy" "$work/vy_short.npy"
expect vinfo-one-class 2 "" -- vinfo "$work/vx.npy" "$work/vy_one.npy"
expect vinfo-nan 2 "" -- vinfo "$work/vx_nan.npy" "$work/vy.npy"
expect vinfo-folds-too-many 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --folds 7
expect vinfo-folds-one 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --folds 1
expect vinfo-folds-and-fraction 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --folds 3 --test-fraction 0.2
expect vinfo-bad-fraction 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --test-fraction 1.5
expect vinfo-bad-decoder 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder forest
expect vinfo-negative-l2 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --l2 -1
expect vinfo-l2-with-mlp 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --l2 0.1
expect vinfo-hidden-with-linear 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --hidden 8
expect vinfo-epochs-zero 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --epochs 0
expect vinfo-bad-hidden 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --hidden 8,-1
expect vinfo-lr-nan 2 "" -- vinfo "$work/vx.npy" "$work/vy.npy" --decoder mlp --lr nan
