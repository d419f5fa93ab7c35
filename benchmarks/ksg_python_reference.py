#!/usr/bin/env python3
"""The issue's Python reference for KSG-1 (issue 4): NPEET's mi() algorithm with scikit-learn
KD-trees in the max (chebyshev) metric, single-threaded, without NPEET's noise, in nats.

Joint k-th neighbour distance eps_i by KDTree.query(k + 1), marginal counts by
KDTree.query_radius(eps_i - 1e-15, count_only=True) (the point itself included, hence digamma(n)
rather than digamma(n + 1)), I = psi(k) + psi(N) - <psi(n_x) + psi(n_y)>.

Data: Gaussian pairs with rho = 0.6 per coordinate pair, the distribution of bench_knn's BM_ksg1
(numpy's generator, so not the same draws). Run with Debian's python3-sklearn:
    /usr/bin/python3 benchmarks/ksg_python_reference.py 100000 5
and compare its time with bench_knn's BM_ksg1/100000/5 in the same session.
"""
import sys
import time

import numpy as np
from scipy.special import digamma
from sklearn.neighbors import KDTree


def ksg1_npeet(x, y, k=3):
    points = np.hstack((x, y))
    eps = KDTree(points, metric="chebyshev").query(points, k=k + 1)[0][:, k]

    def mean_digamma_counts(p):
        tree = KDTree(p, metric="chebyshev")
        return np.mean(digamma(tree.query_radius(p, eps - 1e-15, count_only=True)))

    return digamma(k) + digamma(len(x)) - mean_digamma_counts(x) - mean_digamma_counts(y)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(12345)
    a = rng.standard_normal((n, d))
    x, y = a, 0.6 * a + 0.8 * rng.standard_normal((n, d))
    start = time.perf_counter()
    mi = ksg1_npeet(x, y)
    print(f"KSG-1 (NPEET algorithm, sklearn KDTree) {d}x{d} n={n}: "
          f"{time.perf_counter() - start:.2f} s, I = {mi:.6f} nats "
          f"(exact {-0.5 * d * np.log(1 - 0.36):.6f})")


if __name__ == "__main__":
    main()
