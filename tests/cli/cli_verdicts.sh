# Sourced by run_cli_tests.sh: verdicts end to end (docs/verdicts.md). A refusal exits 1 with the
# reasons on stderr and nothing on stdout; a warning keeps the value with "status": "warning".

# A 1-D latent embedded linearly in 8 dims (x) and a noisy copy (y); a constant-column y; a mixed x.
python3 - "$work" <<'PY'
import random, struct, sys
work = sys.argv[1]
def save(path, rows):
    n, d = len(rows), len(rows[0])
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
        f.write(struct.pack('<%dd' % (n * d), *[v for r in rows for v in r]))
rng = random.Random(7)
a = [rng.gauss(0, 1) for _ in range(8)]
u = [rng.gauss(0, 1) for _ in range(1000)]
v = [0.8 * t + 0.6 * rng.gauss(0, 1) for t in u]
save(work + '/emb_x.npy', [[aj * t for aj in a] for t in u])
save(work + '/emb_y.npy', [[aj * t for aj in a] for t in v])
save(work + '/u.npy', [[t] for t in u])
save(work + '/v_const.npy', [[t, 1.5] for t in v])
save(work + '/v_small.npy', [[1e-4 * t] for t in v])
save(work + '/mixed_x.npy', [[float(rng.randrange(4)), t] for t in u])
save(work + '/v.npy', [[t] for t in v])
save(work + '/v200.npy', [[t] for t in v[:200]])
# u with 3 outlier rows at +-1e6 (session 19: doe-gauss read 0.00 for I = 0.51 with status ok).
save(work + '/u_outlier.npy', [[(1e6 if i % 2 else -1e6) if i in (17, 400, 900) else t] for i, t in enumerate(u)])
# Lognormal-squared marginals of the same pair (a monotone map: I = 0.51): tail ratio ~30.
import math
save(work + '/u_heavy.npy', [[math.exp(2 * t)] for t in u])
save(work + '/v_heavy.npy', [[math.exp(2 * t)] for t in v])
PY

expect verdict-entropy-manifold 1 "" -- entropy --method kl "$work/emb_x.npy"
grep -q "intrinsic_dimension" "$work/err.txt" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL verdict-entropy-manifold: no reason code on stderr"; }
expect verdict-mi-kl-manifold 1 "" -- mi --method kl "$work/emb_x.npy" "$work/emb_y.npy"
expect verdict-ksg-manifold-warns 0 "j['status'] == 'warning' and any(r['code'] == 'intrinsic_dimension' for r in j['reasons'])" -- mi --method ksg1 "$work/emb_x.npy" "$work/emb_y.npy"
expect verdict-auto-manifold 0 "j['status'] == 'ok' and 'compression' in j['settings'] and abs(j['value'] - 0.51) < 0.1" -- mi --method auto "$work/emb_x.npy" "$work/emb_y.npy"
expect verdict-constant-column 1 "" -- mi --method ksg1 "$work/u.npy" "$work/v_const.npy"
grep -q "column 1 is constant" "$work/err.txt" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL verdict-constant-column: column not named"; }
expect verdict-scaled-standardized 0 "abs(j['value'] - 0.51) < 0.1 and j['settings']['standardize'] != 'off'" -- mi --method ksg1 "$work/u.npy" "$work/v_small.npy"
expect verdict-no-standardize 0 "j['settings']['standardize'] == 'off'" -- mi --method ksg1 --no-standardize "$work/u.npy" "$work/v_small.npy"
expect verdict-mixed-kl-refused 1 "" -- mi --method kl "$work/mixed_x.npy" "$work/v.npy"
expect verdict-mixed-ksg 0 "j['method'] == 'mixed_ksg' and abs(j['value'] - 0.51) < 0.1" -- mi --method mixed-ksg "$work/mixed_x.npy" "$work/v.npy"
expect verdict-auto-mixed 0 "j['settings']['auto_choice'] == 'mixed_ksg'" -- mi --method auto "$work/mixed_x.npy" "$work/v.npy"
# Integer labels (4 classes) plus one class of 2 rows (<= k = 3): valid data, so a verdict, never exit 2.
# In 1000 rows leaving the class out moves I by <= h(0.002) = 0.014 nats: warned "rare_classes"; in the
# first 200 rows the bound h(0.01) = 0.056 exceeds half the tolerance: refused (exit 1).
python3 - "$work" <<'PY2'
import struct, sys
work = sys.argv[1]
def save_labels(path, labels):
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }" % len(labels)
    header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
        f.write(struct.pack('<%dq' % len(labels), *labels))
labels = [9, 9] + [i % 4 for i in range(2, 1000)]
save_labels(work + '/labels_rare.npy', labels)
save_labels(work + '/labels_rare200.npy', labels[:200])
PY2
python3 - "$work" <<'PY3'
import struct, sys
work = sys.argv[1]
raw = open(work + '/u.npy', 'rb').read()
hl = struct.unpack('<H', raw[8:10])[0]
vals = struct.unpack('<1000d', raw[10 + hl:10 + hl + 8000])[:200]
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (200, 1), }"
header += ' ' * ((64 - (10 + len(header) + 1) % 64) % 64) + '\n'
with open(work + '/u200.npy', 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode())
    f.write(struct.pack('<200d', *vals))
PY3
expect verdict-labels-rare-class-dropped 0 "j['status'] == 'warning' and any(r['code'] == 'rare_classes' for r in j['reasons'])" -- mi --method mixed-ksg "$work/u.npy" "$work/labels_rare.npy"
expect verdict-labels-rare-class-refused 1 "" -- mi --method mixed-ksg "$work/u200.npy" "$work/labels_rare200.npy"
grep -q "rare_classes" "$work/err.txt" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL verdict-labels-rare-class-refused: no reason code on stderr"; }
# auto leaves the class out too where the bound allows it and every other check passes (settings
# rare_classes, status ok; session 18 refused), and refuses where it does not.
expect verdict-auto-rare-class-dropped 0 "j['status'] == 'ok' and 'rare_classes' in j['settings']" -- mi --method auto "$work/u.npy" "$work/labels_rare.npy"
expect verdict-auto-rare-class-refused 1 "" -- mi --method auto "$work/u200.npy" "$work/labels_rare200.npy"
grep -q "rare_classes" "$work/err.txt" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL verdict-auto-rare-class-refused: no reason code on stderr"; }
expect verdict-heavy-tails 0 "j['status'] == 'warning' and any(r['code'] == 'heavy_tails' for r in j['reasons'])" -- mi --method ksg1 "$work/u_heavy.npy" "$work/v_heavy.npy"
expect verdict-normal-scores 0 "j['preprocessing']['normal_scores'] == 'x and y' and not any(r['code'] == 'heavy_tails' for r in j['reasons']) and abs(j['value'] - 0.51) < 0.1" -- mi --method ksg1 --normal-scores "$work/u_heavy.npy" "$work/v_heavy.npy"
expect verdict-normal-scores-refused 2 "" -- mi --method doe-gauss --normal-scores "$work/u.npy" "$work/v.npy"
# DoE is ok only when a reference confirms it: home ground (a Gaussian pair, the Gaussian plug-in agrees) ok;
# too few rows for the cross-check, or outliers that leave no reference without warnings: bound_unconfirmed.
expect verdict-doe-confirmed-ok 0 "j['status'] == 'ok' and j['settings']['cross_check'].startswith('agrees with')" -- mi --method doe-gauss "$work/u.npy" "$work/v.npy"
expect verdict-doe-skipped-unconfirmed 0 "j['status'] == 'warning' and any(r['code'] == 'bound_unconfirmed' for r in j['reasons'])" -- mi --method doe-gauss "$work/u200.npy" "$work/v200.npy"
expect verdict-doe-outliers-not-ok 0 "j['status'] == 'warning' and any(r['code'] in ('bound_unconfirmed', 'estimators_disagree') for r in j['reasons'])" -- mi --method doe-gauss "$work/u_outlier.npy" "$work/v.npy"
expect verdict-bins-1 0 "j['value'] == 0 and j['status'] == 'warning' and any(r['code'] == 'few_bins' for r in j['reasons'])" -- mi --method binning --bins 1 "$work/u.npy" "$work/v.npy"
expect verdict-miller-madow 0 "j['settings']['miller_madow'] == 'on'" -- mi --method binning --bins 8 --miller-madow "$work/u.npy" "$work/v.npy"
expect verdict-home-ground-ok 0 "j['status'] == 'ok' and j['reasons'] == []" -- mi --method ksg1 "$work/u.npy" "$work/v.npy"
expect verdict-both-standardize-flags 2 "" -- mi --method ksg1 --standardize --no-standardize "$work/u.npy" "$work/v.npy"
expect verdict-auto-with-jitter 2 "" -- mi --method auto --jitter 1e-6 "$work/u.npy" "$work/v.npy"
