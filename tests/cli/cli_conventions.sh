# Sourced by run_cli_tests.sh: the seed papers' conventions (docs/conventions.md), one check per flag.
# Hand-computed data: class 0 = (0,0), (2,0); class 1 = (4,6), (6,8). S_W = [[4,2],[2,2]], N = 4, C = 2:
# population Sigma_W mean entry 2.5 / 4 = 0.625; n-1 divisor (S_W / (N - C)) doubles it to 1.25.
write_npy "$work/cv_x.npy" '<f8' '(4, 2)' 0 0 2 0 4 6 6 8
write_npy "$work/cv_y.npy" '<i8' '(4,)' 0 0 1 1
write_npy "$work/cv_pred.npy" '<i8' '(4,)' 0 1 1 1
write_npy "$work/cv_y1.npy" '<i8' '(4,)' 0 0 0 1

expect nc-value-default-nc1 0 "j['value_kind'] == 'nc1' and j['value'] == j['nc1'] and abs(j['nc1_per_dim'] - j['nc1'] / 2) < 1e-15 and abs(j['sigma_w_mean_entry'] - 0.625) < 1e-14" -- nc "$work/cv_x.npy" "$work/cv_y.npy"
expect nc-value-trace 0 "j['value'] == j['tr_sw_sbpinv'] and abs(j['value'] - 2 * j['nc1']) < 1e-12" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value trace
expect nc-value-sigma-w 0 "abs(j['value'] - 0.625) < 1e-14 and j['unit'] == 'squared feature units'" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value sigma-w
expect nc-value-sigma-w-full 0 "abs(j['value'] - 0.625) < 1e-14" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value sigma-w --mode full
expect nc-value-nc1-dim 0 "abs(j['value'] - j['nc1'] / 2) < 1e-15" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value nc1-dim
expect nc-value-cdnv 0 "j['value'] == j['cdnv']" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value cdnv
expect nc-divisor-n-1 0 "abs(j['value'] - 1.25) < 1e-14 and j['settings']['divisor'] == 'n-1'" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value sigma-w --divisor n-1
# Grouping by predictions = the same metrics as passing the predictions as labels.
"$tool" nc "$work/cv_x.npy" "$work/cv_pred.npy" --divisor n >"$work/cv_ref.json" 2>/dev/null
expect nc-group-by-predictions 0 "j['settings']['group_by'] == 'predictions' and abs(j['nc1'] - json.load(open('$work/cv_ref.json'))['nc1']) < 1e-12" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --predictions "$work/cv_pred.npy" --group-by predictions
expect nc-group-by-predictions-needs-file 2 "" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --group-by predictions
expect nc-group-by-bad 2 "" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --group-by clusters
expect nc-value-bad 2 "" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --value nc5
expect nc-divisor-bad 2 "" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --divisor 2
expect nc-divisor-n-1-singleton 2 "" -- nc "$work/cv_x.npy" "$work/cv_y1.npy" --divisor n-1
expect nc-rtol-nan 2 "" -- nc "$work/cv_x.npy" "$work/cv_y.npy" --rtol nan

# Adilova et al. (2023) toy: the truth by quadrature (1.3569408894 nats at sigma = 0.5, tests/test_synthetic.cpp),
# --variance is the same noise as --sigma, n dims give n times the value, fx.npy = 2x + 0.5 is written.
expect generate-dropout-toy 0 "abs(j['value'] - 1.3569408893657697) < 1e-9 and any(f.endswith('fx.npy') for f in j['files']) and j['name'] == 'dropout-toy n=1 sigma=0.5'" -- generate dropout-toy --n 1000 --seed 3 --sigma 0.5 --out "$work/dtoy"
expect generate-dropout-toy-variance 0 "abs(j['value'] - 1.3569408893657697) < 1e-9" -- generate dropout-toy --n 10 --variance 0.25 --out "$work/dtoy_v"
expect generate-dropout-toy-dims 0 "abs(j['value'] - 3 * 1.3569408893657697) < 1e-8" -- generate dropout-toy --n 10 --dims 3 --out "$work/dtoy3"
expect generate-dropout-toy-levels 0 "abs(j['value'] - 0.3640498603) < 1e-8" -- generate dropout-toy-levels --n 10 --out "$work/dtoyl"
expect generate-dropout-sigma-and-variance 2 "" -- generate dropout-toy --n 10 --sigma 0.5 --variance 0.25 --out "$work/dtoy_bad"
expect generate-dropout-levels-refused 2 "" -- generate dropout-toy --n 10 --levels 8 --out "$work/dtoy_bad"
expect generate-dropout-variance-negative 2 "" -- generate dropout-toy --n 10 --variance -1 --out "$work/dtoy_bad"
"$tool" info "$work/dtoy/x.npy" >"$work/dtoy_x_info.json" 2>/dev/null
expect generate-dropout-fx-is-2x-plus-half 0 "abs(j['columns'][0]['mean'] - (2 * json.load(open('$work/dtoy_x_info.json'))['columns'][0]['mean'] + 0.5)) < 1e-12" -- info "$work/dtoy/fx.npy"
# The noisy-layer estimator reads fx.npy (mixture of N = 1000 Gaussians vs the continuous-X truth: loose).
expect noisy-on-dropout-toy 0 "abs(j['value'] - 1.3569408893657697) < 0.2" -- mi --method noisy "$work/dtoy/fx.npy" --noise dropout --sigma 0.5 --seed 1
cp "$work/out.json" "$work/noisy_sigma.json"
expect noisy-variance-equals-sigma 0 "j['value'] == json.load(open('$work/noisy_sigma.json'))['value']" -- mi --method noisy "$work/dtoy/fx.npy" --noise dropout --variance 0.25 --seed 1
expect noisy-sigma-and-variance 2 "" -- mi --method noisy "$work/dtoy/fx.npy" --noise dropout --sigma 0.5 --variance 0.25
expect variance-refused-for-ksg 2 "" -- mi --method ksg1 "$work/dtoy/x.npy" "$work/dtoy/y.npy" --variance 0.25

# Thesis Fig. 1.2: binning over the fixed range [-1, 1] (30 bins). t = {0, 0.03, 0.5}: 0 and 0.03 share a
# bin of width 1/15, so H = log 3 - (2/3) log 2 (over the data range all three are apart: log 3).
write_npy "$work/cv_t.npy" '<f8' '(3, 1)' 0 0.03 0.5
expect binning-range 0 "abs(j['value'] - (math.log(3) - 2 / 3 * math.log(2))) < 1e-12 and j['settings']['range'] == 'fixed'" -- mi --method binning "$work/cv_t.npy" --range -1,1
expect binning-data-range 0 "abs(j['value'] - math.log(3)) < 1e-12" -- mi --method binning "$work/cv_t.npy"
expect binning-range-bits 0 "j['unit'] == 'bits' and abs(j['value'] - (math.log(3) - 2 / 3 * math.log(2)) / math.log(2)) < 1e-12 and abs(j['value_nats'] - (math.log(3) - 2 / 3 * math.log(2))) < 1e-12" -- mi --method binning "$work/cv_t.npy" --range -1,1 --bits
expect binning-range-outside 2 "" -- mi --method binning "$work/cv_t.npy" --range -1,0.1
expect binning-range-reversed 2 "" -- mi --method binning "$work/cv_t.npy" --range 1,-1
expect binning-range-garbage 2 "" -- mi --method binning "$work/cv_t.npy" --range minus-one
expect range-refused-for-ksg 2 "" -- mi --method ksg1 "$work/dtoy/x.npy" "$work/dtoy/y.npy" --range -1,1
expect bits-kl-entropy 0 "j['unit'] == 'bits' and abs(j['value'] * math.log(2) - j['value_nats']) < 1e-12" -- entropy --method kl "$work/dtoy/x.npy" --bits
expect generate-bits 0 "j['unit'] == 'bits' and abs(j['value'] - 1.0 / math.log(2)) < 1e-12" -- generate gaussian-mi --n 10 --mi 1 --out "$work/gbits" --bits

# Butakov et al. (2024) image tasks: the authors' mappings are selectable; bench has the 0..10 nats sweep.
expect generate-image-authors 0 "j['dims']['x'] == 64 and j['name'].endswith('authors') and j['value'] == 3" -- generate image-gaussians --n 20 --size 8 --mi 3 --mapping authors --out "$work/img"
expect generate-image-rectangles-authors 0 "j['dims']['x'] == 256" -- generate image-rectangles --n 20 --mapping authors --out "$work/imgr"
expect generate-image-mapping-bad 2 "" -- generate image-gaussians --n 20 --mapping picasso --out "$work/img_bad"
expect generate-mapping-refused 2 "" -- generate gaussian-mi --n 20 --mapping authors --out "$work/img_bad"
expect bench-image-sweep-list 0 "len(j['tasks']) == 44 and sorted(set(t['truth'] for t in j['tasks'])) == list(range(11)) and j['n'] == 5000" -- bench --suite image-sweep --list
expect bench-dropout-sweep-list 0 "len(j['tasks']) == 16 and all(t['family'] == 'dropout-toy' for t in j['tasks'])" -- bench --suite dropout-sweep --list
