# Sourced by run_cli_tests.sh: the commands that make library-only capabilities reachable (issue 14,
# item 2): cmi, stats, separation, ceb, --pca-fit and the Corollary 6 bound, nc streaming. Expected
# numbers are hand-computed (in the comments) or computed here from the same data with the stdlib.
k="$work/subcommands"
mkdir -p "$k"

# --- cmi: Frenzel-Pompe for continuous Z; class-stratified KSG-1 for integer Z (the class toy) ---
"$tool" generate class-toy --n 3000 --seed 4 --out "$k/toy" >"$k/toy.json" 2>/dev/null
truth=$(python3 -c "import json; print(json.load(open('$k/toy.json'))['value'])")
expect cmi-class-toy 0 "j['z'] == 'discrete' and abs(j['value'] - $truth) < 0.15 and len(j['per_class']) >= 2 and j['unit'] == 'nats'" -- cmi --method ksg "$k/toy/x.npy" "$k/toy/z.npy" "$k/toy/labels.npy"
# x <- z -> y with independent noises: I(X;Y|Z) = 0 (continuous Z).
python3 - "$k" <<'PY'
import random, struct, sys
def save(path, rows):
    h = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, 1), }" % len(rows)
    h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + struct.pack('<%dd' % len(rows), *rows))
r = random.Random(5)
z = [r.gauss(0, 1) for _ in range(1500)]
save(sys.argv[1] + '/cz.npy', z)
save(sys.argv[1] + '/cx.npy', [v + r.gauss(0, 1) for v in z])
save(sys.argv[1] + '/cy.npy', [v + r.gauss(0, 1) for v in z])
PY
expect cmi-continuous-zero 0 "j['z'] == 'continuous' and abs(j['value']) < 0.06 and j['method'] == 'ksg_conditional' and j['parameters']['k'] == 5" -- cmi --method ksg --k 5 "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
expect cmi-bits 0 "j['unit'] == 'bits' and 'value_nats' in j" -- cmi --method ksg --bits "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
expect_error cmi-unknown-method "unknown --method \(method=ksg2\)" -- cmi --method ksg2 "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
expect_error cmi-seed-without-jitter "--seed seeds the jitter" -- cmi --method ksg --seed 3 "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
expect cmi-no-cross-check 0 "j['settings']['cross_check'] == 'off'" -- cmi --method ksg --no-cross-check "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
expect_error cmi-no-cross-check-discrete "applies to a continuous Z only" -- cmi --method ksg --no-cross-check "$k/toy/x.npy" "$k/toy/z.npy" "$k/toy/labels.npy"
expect_error cmi-rows "same number of rows" -- cmi --method ksg "$k/cx.npy" "$k/toy/z.npy" "$k/cz.npy"
expect_error cmi-k-zero "--k: must be an integer >= 1" -- cmi --method ksg --k 0 "$k/cx.npy" "$k/cy.npy" "$k/cz.npy"
write_npy "$k/tiny_labels.npy" '<i8' '(4,)' 0 0 0 1
write_npy "$k/tiny.npy" '<f8' '(4,)' 0.1 0.5 0.2 0.9
expect_error cmi-class-too-small "class 0 \(3 rows\): infogeo::mi::ksg\(\): k must be < n \(k=3, n=3\)" -- cmi --method ksg "$k/tiny.npy" "$k/tiny.npy" "$k/tiny_labels.npy"
expect_stdout cmi-help "Frenzel" -- cmi --help

# --- stats ---
write_npy "$k/a.npy" '<f8' '(5,)' 1 2 3 4 5
write_npy "$k/b.npy" '<f8' '(5,)' 5 6 7 8 7
# scipy.stats.spearmanr / kendalltau of these: 0.8207826816681233, 0.7378647873726218.
expect stats-spearman 0 "abs(j['value'] - 0.8207826816681233) < 1e-14 and j['statistic'] == 'spearman' and j['n'] == 5" -- stats spearman "$k/a.npy" "$k/b.npy"
expect stats-kendall 0 "abs(j['value'] - 0.7378647873726218) < 1e-14" -- stats kendall "$k/a.npy" "$k/b.npy"
# Pooled normalised ranks (App. C.1) over experiments 0 and 4: 0.4473684210526316 (numpy reference).
write_npy "$k/ra.npy" '<f8' '(7,)' 1 2 3 10 30 20 25
write_npy "$k/rb.npy" '<f8' '(7,)' 2 1 3 5 9 7 1
write_npy "$k/rg.npy" '<i8' '(7,)' 0 0 0 4 4 4 4
expect stats-rank-correlation 0 "abs(j['value'] - 0.4473684210526316) < 1e-14 and [e['group'] for e in j['experiments']] == [0, 4]" -- stats rank-correlation "$k/ra.npy" "$k/rb.npy" --groups "$k/rg.npy"
expect_error stats-spearman-length "same length" -- stats spearman "$k/a.npy" "$k/ra.npy"
expect_error stats-groups-not-rank "files: At Most 2 required but received 3" -- stats spearman "$k/a.npy" "$k/b.npy" --groups "$k/rg.npy"
# sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75.
write_npy "$k/s.npy" '<f8' '(4,)' 0.1 0.4 0.35 0.8
write_npy "$k/l01.npy" '<i8' '(4,)' 0 0 1 1
expect stats-auroc 0 "j['value'] == 0.75 and j['positives'] == 2" -- stats auroc "$k/s.npy" "$k/l01.npy"
write_npy "$k/l3.npy" '<i8' '(4,)' 0 2 1 1
expect_error stats-auroc-not-binary "LABELS must be 0 \(negative\) or 1" -- stats auroc "$k/s.npy" "$k/l3.npy"
# Misclassification AUROC: correct rows (labels == predictions) 2, 3 score 0.35, 0.8 vs 0.1, 0.4: 0.75.
write_npy "$k/pred.npy" '<i8' '(4,)' 1 0 1 1
write_npy "$k/lab.npy" '<i8' '(4,)' 0 2 1 1
expect stats-auroc-misclassification 0 "j['value'] == 0.75 and j['correct'] == 2" -- stats auroc "$k/s.npy" "$k/lab.npy" --predictions "$k/pred.npy"
# Mahalanobis, tied (Lee et al.): train 0, 2 | 10, 14: pooled variance (1 + 1 + 4 + 4) / 4 = 2.5;
# test 1 -> 0, 11 -> -(1 / 2.5) = -0.4; value = mean score = -0.2.
write_npy "$k/mtrain.npy" '<f8' '(5,)' 0 2 10 14 5
write_npy "$k/mlab.npy" '<i8' '(5,)' 3 3 8 8 8
write_npy "$k/mtest.npy" '<f8' '(2,)' 1 11
write_npy "$k/mtrain4.npy" '<f8' '(4,)' 0 2 10 14
write_npy "$k/mlab4.npy" '<i8' '(4,)' 3 3 8 8
expect stats-mahalanobis-tied 0 "abs(j['value'] + 0.2) < 1e-14 and j['covariance'] == 'tied' and j['class_values'] == [3, 8]" -- stats mahalanobis "$k/mtrain4.npy" "$k/mlab4.npy" "$k/mtest.npy" --scores-out "$k/mscores.npy"
expect mahalanobis-scores-file 0 "abs(j['columns'][0]['mean'] + 0.2) < 1e-14 and j['shape'] == [2]" -- info "$k/mscores.npy"
# Seed paper 003's protocol: fitted on correct training rows (row 4, label 8 predicted 3, is left out):
# per-class variances 1 and 4; test 1 -> class 3: 0; 11 -> class 8: -0.25; 3 -> class 8: -20.25;
# the third test row is misclassified and scores lowest: AUROC 1.
write_npy "$k/mpred.npy" '<i8' '(5,)' 3 3 8 8 3
write_npy "$k/mtest3.npy" '<f8' '(3,)' 1 11 3
write_npy "$k/mtpred.npy" '<i8' '(3,)' 3 8 8
write_npy "$k/mtlab.npy" '<i8' '(3,)' 3 8 3
expect stats-mahalanobis-003 0 "j['value'] == 1.0 and j['covariance'] == 'per-class' and j['training_rows_used'] == 4 and abs(j['scores']['min'] + 20.25) < 1e-12" -- stats mahalanobis "$k/mtrain.npy" "$k/mlab.npy" "$k/mtest3.npy" --train-predictions "$k/mpred.npy" --test-predictions "$k/mtpred.npy" --test-labels "$k/mtlab.npy"
expect_error stats-mahalanobis-labels-need-predictions "--test-labels needs --test-predictions" -- stats mahalanobis "$k/mtrain.npy" "$k/mlab.npy" "$k/mtest3.npy" --test-labels "$k/mtlab.npy"
expect_error stats-mahalanobis-covariance "--covariance must be tied or per-class \(covariance=full\)" -- stats mahalanobis "$k/mtrain.npy" "$k/mlab.npy" "$k/mtest3.npy" --covariance full
write_npy "$k/mtpred_unknown.npy" '<i8' '(3,)' 3 8 5
expect_error stats-mahalanobis-unknown-class "label 5 appears in the predictions" -- stats mahalanobis "$k/mtrain.npy" "$k/mlab.npy" "$k/mtest3.npy" --test-predictions "$k/mtpred_unknown.npy"
# ODIN at T = 1: softmax max of (2, 0) = e^2 / (e^2 + 1), of (0, 1) = e / (1 + e); labels 0, 0:
# row 0 correct (0.881) above row 1 wrong (0.731): AUROC 1, accuracy 0.5.
write_npy "$k/logits.npy" '<f8' '(2, 2)' 2 0 0 1
write_npy "$k/olab.npy" '<i8' '(2,)' 0 0
expect stats-odin 0 "abs(j['scores']['max'] - 0.8807970779778824) < 1e-15 and abs(j['scores']['min'] - 0.7310585786300049) < 1e-15 and j['value'] == 1.0 and j['accuracy'] == 0.5" -- stats odin "$k/logits.npy" --temperature 1 --labels "$k/olab.npy"
expect stats-odin-default 0 "j['temperature'] == 1000 and j['statistic'] == 'mean_odin_confidence'" -- stats odin "$k/logits.npy"
expect_error stats-odin-temperature "--temperature: must be > 0 \(value=0\)" -- stats odin "$k/logits.npy" --temperature 0
write_npy "$k/olab2.npy" '<i8' '(2,)' 0 2
expect_error stats-odin-label-range "column indices of LOGITS in \[0, 2\) \(labels\[1\]=2\)" -- stats odin "$k/logits.npy" --labels "$k/olab2.npy"
# Binarity: a two-peak column has a large peak distance over std; standardised by default.
write_npy "$k/bimodal.npy" '<f8' '(12, 1)' -1.02 -0.98 -1.01 -0.99 -1.0 -1.03 1.0 1.02 0.98 1.01 0.99 0.97
expect stats-binarity 0 "j['value'] > 10 and j['standardized'] is True and len(j['per_dimension']) == 1" -- stats binarity "$k/bimodal.npy"
expect stats-binarity-raw 0 "j['standardized'] is False" -- stats binarity --raw "$k/bimodal.npy"
expect_error stats-no-statistic "" -- stats
expect_error stats-unknown-option "" -- stats spearman --temperature 3 "$k/a.npy" "$k/b.npy"
expect_stdout stats-help "mahalanobis" -- stats --help

# --- separation: D_l = s_l^2 / 1 for class means -1, +1 and spread s_l = 1, 0.5, 0.25: ratio 0.25 ---
write_npy "$k/sep_y.npy" '<i8' '(4,)' 0 0 1 1
write_npy "$k/sep0.npy" '<f8' '(4, 1)' -2 0 0 2
write_npy "$k/sep1.npy" '<f8' '(4, 1)' -1.5 -0.5 0.5 1.5
write_npy "$k/sep2.npy" '<f8' '(4, 1)' -1.25 -0.75 0.75 1.25
expect separation-law 0 "abs(j['value'] - 0.25) < 1e-12 and abs(j['r_squared'] - 1) < 1e-12 and abs(j['layers'][0]['value'] - 1) < 1e-12 and j['value_kind'] == 'decay_ratio'" -- separation "$k/sep_y.npy" "$k/sep0.npy" "$k/sep1.npy" "$k/sep2.npy"
expect separation-layers 0 "abs(j['value'] - 0.5) < 1e-12" -- separation "$k/sep_y.npy" "$k/sep0.npy" "$k/sep1.npy" "$k/sep2.npy" --layers 0,2,4
expect_error separation-one-layer "files: At least 3 required but received 2" -- separation "$k/sep_y.npy" "$k/sep0.npy"
expect_error separation-layers-count "--layers needs one index per layer file" -- separation "$k/sep_y.npy" "$k/sep0.npy" "$k/sep1.npy" --layers 0,1,2
expect_error separation-value "--value must be trace or nc1 \(value=cdnv\)" -- separation "$k/sep_y.npy" "$k/sep0.npy" "$k/sep1.npy" --value cdnv

# --- ceb: mu 0, 2 | 10, sigma 1, 1 | 2: moment-matched s^2 = 2 and 4; KLs 0.5 log 2, 0.5 log 2, 0 ---
write_npy "$k/mu.npy" '<f8' '(3, 1)' 0 2 10
write_npy "$k/sd.npy" '<f8' '(3, 1)' 1 1 2
write_npy "$k/var.npy" '<f8' '(3, 1)' 1 1 4
write_npy "$k/logvar.npy" '<f8' '(3, 1)' 0 0 1.3862943611198906
write_npy "$k/cy.npy" '<i8' '(3,)' -1 -1 6
expect ceb-bound 0 "abs(j['value'] - 0.23104906018664842) < 1e-15 and j['unit'] == 'nats' and j['class_values'] == [-1, 6]" -- ceb "$k/mu.npy" "$k/sd.npy" "$k/cy.npy"
expect ceb-variance 0 "abs(j['value'] - 0.23104906018664842) < 1e-15" -- ceb "$k/mu.npy" "$k/var.npy" "$k/cy.npy" --scale variance
expect ceb-log-variance 0 "abs(j['value'] - 0.23104906018664842) < 1e-14" -- ceb "$k/mu.npy" "$k/logvar.npy" "$k/cy.npy" --scale log-variance
# Given backward encoders N(1, 2), N(10, 4) (the moment-matched ones) give the same bound.
write_npy "$k/bm.npy" '<f8' '(2, 1)' 1 10
write_npy "$k/bs.npy" '<f8' '(2, 1)' 1.4142135623730951 2
expect ceb-given-backward 0 "abs(j['value'] - 0.23104906018664842) < 1e-14 and j['settings']['backward'] == 'given'" -- ceb "$k/mu.npy" "$k/sd.npy" "$k/cy.npy" --backward-means "$k/bm.npy" --backward-sds "$k/bs.npy"
expect_error ceb-backward-pair "--backward-means and --backward-sds go together" -- ceb "$k/mu.npy" "$k/sd.npy" "$k/cy.npy" --backward-means "$k/bm.npy"
expect_error ceb-scale "--scale must be sd, variance or log-variance \(scale=std\)" -- ceb "$k/mu.npy" "$k/sd.npy" "$k/cy.npy" --scale std
expect_error ceb-sigma-zero "sigma must be > 0" -- ceb "$k/mu.npy" "$k/mu.npy" "$k/cy.npy"

# --- --pca-fit and the Corollary 6 bound (Butakov et al. 2024) ---
python3 - "$k" <<'PY'
import math, random, struct, sys
def save(path, rows):
    h = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), len(rows[0]))
    h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
    flat = [v for r in rows for v in r]
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + struct.pack('<%dd' % len(flat), *flat))
r = random.Random(7)
x = [[r.gauss(0, 2), r.gauss(0, 0.3)] for _ in range(400)]
save(sys.argv[1] + '/px.npy', x)
save(sys.argv[1] + '/py.npy', [[a[0] + r.gauss(0, 1)] for a in x])
save(sys.argv[1] + '/pfit.npy', [[r.gauss(0, 2), r.gauss(0, 0.3)] for _ in range(300)])
# The smaller eigenvalue of the (n-1) covariance of x, and the bound 1/2 log(1 + lambda_2 / 0.5^2).
n = len(x); m = [sum(v[j] for v in x) / n for j in range(2)]
c = [[sum((v[i] - m[i]) * (v[j] - m[j]) for v in x) / (n - 1) for j in range(2)] for i in range(2)]
t, d = c[0][0] + c[1][1], c[0][0] * c[1][1] - c[0][1] ** 2
lam2 = t / 2 - math.sqrt(t * t / 4 - d)
open(sys.argv[1] + '/bound.txt', 'w').write(repr(0.5 * math.log1p(lam2 / 0.25)))
PY
bound=$(cat "$k/bound.txt")
expect pca-corollary6 0 "abs(j['compression_loss_bound']['x'] - $bound) < 1e-12 and j['preprocessing']['pca_x']['fitted_on'] == 'the data itself'" -- mi --method ksg1 --pca 1 --sigma 0.5 "$k/px.npy" "$k/py.npy"
expect pca-corollary6-variance 0 "abs(j['compression_loss_bound']['x'] - $bound) < 1e-12" -- mi --method ksg1 --pca 1 --variance 0.25 "$k/px.npy" "$k/py.npy"
expect pca-fit 0 "j['preprocessing']['pca_x']['fitted_on'] == 'the --pca-fit sample' and 'compression_loss_bound' not in j" -- mi --method ksg1 --pca 1 --pca-fit "$k/pfit.npy" "$k/px.npy" "$k/py.npy"
# --method auto never returns a flagged value: the projection's compression_loss (2 % of the variance
# discarded) refuses it (exit 1) where ksg1 warns (red team, session 18).
expect pca-ksg1-warns 0 "j['status'] == 'warning' and any(r['code'] == 'compression_loss' for r in j['reasons'])" -- mi --method ksg1 --pca 1 "$k/px.npy" "$k/py.npy"
expect pca-auto-refused 1 "" -- mi --method auto --pca 1 "$k/px.npy" "$k/py.npy"
expect_error pca-fit-needs-pca "--pca-fit needs --pca" -- mi --method ksg1 --pca-fit "$k/pfit.npy" "$k/px.npy" "$k/py.npy"
expect_error pca-fit-columns "--pca-fit needs the columns of the data it projects \(fit cols=1, data cols=2\)" -- mi --method ksg1 --pca 1 --pca-fit "$k/py.npy" "$k/px.npy" "$k/py.npy"
expect_error pca-sigma-zero "sigma > 0 for Corollary 6" -- mi --method ksg1 --pca 1 --sigma 0 "$k/px.npy" "$k/py.npy"
expect_error sigma-without-pca "--sigma does not apply to --method ksg1" -- mi --method ksg1 --sigma 0.5 "$k/px.npy" "$k/py.npy"
expect_error pca-fit-doe "--pca-fit does not apply to --method doe-gauss" -- mi --method doe-gauss --pca-fit "$k/pfit.npy" "$k/px.npy" "$k/py.npy"

# --- nc streams FEATURES in blocks (9000 rows = 3 blocks of 4096); a Fortran-order copy is loaded
# whole and must agree. 1-D truth: tr(Sigma_W Sigma_B^+) = Sigma_W / Sigma_B (rank 1). ---
python3 - "$k" <<'PY'
import struct, sys
n = 9000
y = [i % 3 for i in range(n)]
x = [2.0 * c + ((i * 7919) % 101) / 100.0 - 0.5 for i, c in enumerate(y)]
def save(path, descr, values, shape, fortran=False):
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, 'True' if fortran else 'False', shape)
    h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + struct.pack('<%d%s' % (len(values), 'd' if descr == '<f8' else 'q'), *values))
save(sys.argv[1] + '/big_x.npy', '<f8', x, '(%d, 1)' % n)
save(sys.argv[1] + '/big_y.npy', '<i8', y, '(%d,)' % n)
# Fortran order, 2 columns (x, 2x): column-major bytes.
save(sys.argv[1] + '/big_xf.npy', '<f8', x + [2 * v for v in x], '(%d, 2)' % n, True)
save(sys.argv[1] + '/big_xc.npy', '<f8', [w for v in x for w in (v, 2 * v)], '(%d, 2)' % n)
mu = [sum(x[i] for i in range(n) if y[i] == c) / y.count(c) for c in range(3)]
m = sum(x) / n
sw = sum((x[i] - mu[y[i]]) ** 2 for i in range(n)) / n
sb = sum(y.count(c) / n * (mu[c] - m) ** 2 for c in range(3))
open(sys.argv[1] + '/big_trace.txt', 'w').write(repr(sw / sb))
PY
trace=$(cat "$k/big_trace.txt")
expect nc-streamed 0 "j['streamed'] is True and abs(j['tr_sw_sbpinv'] / $trace - 1) < 1e-9 and j['n'] == 9000" -- nc "$k/big_x.npy" "$k/big_y.npy"
expect nc-streamed-full 0 "j['streamed'] is True and abs(j['tr_sw_sbpinv'] / $trace - 1) < 1e-9" -- nc "$k/big_x.npy" "$k/big_y.npy" --mode full
"$tool" nc "$k/big_xc.npy" "$k/big_y.npy" >"$k/nc_c.json" 2>/dev/null
expect nc-fortran-whole 0 "j['streamed'] is False and abs(j['nc1'] - json.load(open('$k/nc_c.json'))['nc1']) < 1e-12 * abs(j['nc1']) and j['ncc_accuracy'] == json.load(open('$k/nc_c.json'))['ncc_accuracy']" -- nc "$k/big_xf.npy" "$k/big_y.npy"
