#!/usr/bin/env python3
"""The issue's outside anchor for the linear V-information decoder (issue 15): scikit-learn's
LogisticRegression(solver="lbfgs", multinomial, L2, intercept unpenalised) on the benchmark data of
bench_vinfo, with matched regularisation.

Objective match: scikit-learn minimises C * sum_i CE_i + ||W||^2 / 2, infogeo's linear_softmax
family mean_i CE_i + (l2 / 2) ||W||^2: the same optimum when l2 = 1 / (C * N_train).

The data are written as .npy files to DIR, so that bench_vinfo fits exactly the same matrices:
    /usr/bin/python3 benchmarks/vinfo_sklearn_reference.py /tmp/vinfo_bench
    INFOGEO_VINFO_DATA=/tmp/vinfo_bench build-bench/benchmarks/bench_vinfo
Layout: 10 Gaussian classes in D = 256 with a shared anisotropic covariance (singular values of the
mixing matrix from 3 down to 0.03, condition number 100) and an offset of 2 per coordinate,
overlapping so that the optimum is finite (held-out accuracy well below 100 %): the scale and conditioning of
real layer features, which is what makes unpreconditioned first-order solvers slow.
Prints the wall time of fit() (single call, after a warm-up on 2,000 rows), the iterations used,
and the held-out mean cross-entropy, for max_iter=100 (scikit-learn's default) and 10,000.
"""
import os
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

N_TRAIN, N_TEST, D, C = 30000, 10000, 256, 10
INV_REG = 1.0  # scikit-learn's C; infogeo l2 = 1 / (INV_REG * N_TRAIN)


def make_data(seed=2024):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    mix = q * np.geomspace(3.0, 0.03, D)  # columns scaled: condition number 100
    means = 0.1 * rng.standard_normal((C, D)) @ mix.T  # Mahalanobis distance ~2.3 between classes
    n = N_TRAIN + N_TEST
    y = rng.integers(0, C, size=n)
    x = means[y] + rng.standard_normal((n, D)) @ mix.T + 2.0
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def heldout_ce(model, x, y):
    logp = model.predict_log_proba(x)
    return float(-np.mean(logp[np.arange(len(y)), y]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/vinfo_bench"
    os.makedirs(out, exist_ok=True)
    xtr, ytr, xte, yte = make_data()
    np.save(os.path.join(out, "x_train.npy"), np.ascontiguousarray(xtr))
    np.save(os.path.join(out, "y_train.npy"), ytr.astype(np.int64))
    np.save(os.path.join(out, "x_test.npy"), np.ascontiguousarray(xte))
    np.save(os.path.join(out, "y_test.npy"), yte.astype(np.int64))
    threads = os.environ.get("OMP_NUM_THREADS", "(BLAS default)")
    print(f"data: N_train={N_TRAIN} N_test={N_TEST} D={D} C={C} -> {out}; BLAS threads {threads}")
    print(f"matched regularisation: sklearn C={INV_REG} <-> infogeo l2={1.0 / (INV_REG * N_TRAIN):.6g}")
    LogisticRegression(C=INV_REG, max_iter=50).fit(xtr[:2000], ytr[:2000])  # warm-up
    for max_iter in (100, 10000):
        model = LogisticRegression(C=INV_REG, solver="lbfgs", max_iter=max_iter, tol=1e-4)
        start = time.perf_counter()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(xtr, ytr)
        seconds = time.perf_counter() - start
        print(f"sklearn lbfgs max_iter={max_iter}: {seconds:.3f} s, n_iter={int(model.n_iter_[0])}, "
              f"held-out CE={heldout_ce(model, xte, yte):.6f} nats, "
              f"train CE={heldout_ce(model, xtr, ytr):.6f}, accuracy={model.score(xte, yte):.4f}")


if __name__ == "__main__":
    main()
