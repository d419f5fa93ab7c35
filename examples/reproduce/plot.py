#!/usr/bin/python3
"""Figures of the seed-paper reproductions from their metrics.csv (offline, never in CI).

Usage: /usr/bin/python3 examples/reproduce/plot.py RESULTS_DIR [DOCS_DIR]
RESULTS_DIR holds <program>/metrics.csv (run_device.sh's OUTDIR); figures (PNG) go to
DOCS_DIR/<program>/ (default docs/reproduce) next to a copy of the CSV files.
Needs python3-matplotlib (Debian); no other dependency.
"""
import csv
import os
import shutil
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def series(rows, metric, **match):
    """{key: [(epoch, value)]} for rows of `metric`, keyed by (network, layer, split)."""
    out = defaultdict(list)
    for r in rows:
        if r["metric"] != metric or any(r.get(k) != v for k, v in match.items()):
            continue
        out[(r.get("network", ""), r["layer"], r["split"])].append((int(r["epoch"]), float(r["value"])))
    return {k: sorted(v) for k, v in out.items()}


def geometric_vs_information(src, dst):
    toy = os.path.join(src, "toy_grid.csv")
    if os.path.exists(toy):
        rows = read(toy)
        zs = sorted({float(r["sigma_z2"]) for r in rows})
        ns = sorted({float(r["sigma_n2"]) for r in rows})
        mi = [[0.0] * len(zs) for _ in ns]
        nc = [[0.0] * len(zs) for _ in ns]
        for r in rows:
            i, j = ns.index(float(r["sigma_n2"])), zs.index(float(r["sigma_z2"]))
            mi[i][j] = float(r["conditional_mi"])
            nc[i][j] = float(r.get("nc_median") or r["nc_mean"])
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        for a, m, title in ((ax[0], mi, "(a) I(X;Z|Y) [nats], eq. 10"), (ax[1], nc, "(b) NC, eq. 3 (median of trials)")):
            im = a.imshow(m, origin="lower", cmap="viridis", norm=matplotlib.colors.LogNorm())
            a.set_xticks(range(len(zs)), [f"{v:g}" for v in zs])
            a.set_yticks(range(len(ns)), [f"{v:g}" for v in ns])
            a.set_xlabel("sigma_z^2")
            a.set_ylabel("sigma_n^2")
            a.set_title(title)
            fig.colorbar(im, ax=a)
        fig.tight_layout()
        fig.savefig(os.path.join(dst, "toy_grid.png"), dpi=120)
        plt.close(fig)
    if not os.path.exists(os.path.join(src, "metrics.csv")):
        return
    rows = read(os.path.join(src, "metrics.csv"))
    mi = series(rows, "I(X;Z)_doe")
    nc = series(rows, "nc")
    acc = series(rows, "accuracy")
    fig, ax = plt.subplots(1, 3, figsize=(15, 4))
    for (net, layer, split), pts in sorted(mi.items()):
        style = "-" if split == "train" else "--"
        ax[0].plot([e for e, _ in pts], [v for _, v in pts], style, marker="o", label=f"{net} {split}")
        ncp = dict(nc.get((net, layer, split), []))
        ax[2].plot([ncp[e] for e, _ in pts if e in ncp], [v for e, v in pts if e in ncp], style, marker="o",
                   label=f"{net} {split}")
    for (net, layer, split), pts in sorted(nc.items()):
        style = "-" if split == "train" else "--"
        ax[1].plot([e for e, _ in pts], [v for _, v in pts], style, marker="o", label=f"{net} {split}")
    ax[0].set(xlabel="epoch", ylabel="I(X;Z) DoE [nats]", title="DoE (eq. 9 objective), K dropout views")
    ax[1].set(xlabel="epoch", ylabel="NC (eq. 3)", title="NC of the dropout layer")
    ax[2].set(xlabel="NC (eq. 3)", ylabel="I(X;Z) DoE [nats]", title="I(X;Z) against NC over training")
    for a in ax:
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "mi_vs_nc.png"), dpi=120)
    plt.close(fig)


def thesis_fashion_mnist(src, dst):
    rows = read(os.path.join(src, "metrics.csv"))
    nets = sorted({r["network"] for r in rows})
    fig, ax = plt.subplots(1, len(nets), figsize=(6 * len(nets), 4), squeeze=False)
    for k, net in enumerate(nets):
        for (n, layer, split), pts in sorted(series(rows, "tr_sw_sbpinv", network=net).items()):
            ax[0][k].semilogy([e for e, _ in pts], [v for _, v in pts], "-" if split == "train" else "--",
                              marker="o", label=f"l={layer} {split}")
        ax[0][k].set(xlabel="epoch", ylabel="tr(Sigma_W Sigma_B^+)", title=f"{net} (thesis Fig. 3.2)")
        ax[0][k].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "nc_trace.png"), dpi=120)
    plt.close(fig)
    if any(r["metric"] == "sufficiency" for r in rows):
        fig, ax = plt.subplots(1, len(nets), figsize=(6 * len(nets), 4), squeeze=False)
        for k, net in enumerate(nets):
            suf = series(rows, "sufficiency", network=net)
            mini = series(rows, "minimality", network=net)
            for key, pts in sorted(suf.items()):
                m = dict(mini.get(key, []))
                ax[0][k].plot([m[e] for e, _ in pts if e in m], [v for e, v in pts if e in m],
                              "-o" if key[2] == "train" else "--s", label=f"l={key[1]} {key[2]}")
            ax[0][k].set(xlabel="minimality [nats]", ylabel="sufficiency [nats]", title=f"{net} V-information plane")
            ax[0][k].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(dst, "vinfo_plane.png"), dpi=120)
        plt.close(fig)


def dropout_information_plane(src, dst):
    rows = read(os.path.join(src, "metrics.csv"))
    planes = (("I(X;Z)_noisy_mixture", "I(Z;Y)_bound_HY_minus_CE", "noisy mixture / H(Y) - l_CE"),
              ("I(X;Z)_binning", "I(Z;Y)_binning", "binning (30 bins)"))
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    for a, (xm, ym, title) in zip(ax, planes):
        xs, ys = series(rows, xm), series(rows, ym)
        for key, pts in sorted(xs.items()):
            yv = dict(ys.get(key, []))
            px = [v for e, v in pts if e in yv]
            py = [yv[e] for e, _ in pts if e in yv]
            a.plot(px, py, "-o" if key[2] == "train" else "--s", label=f"{key[0]} {key[2]}")
            if px:
                a.annotate("1", (px[0], py[0]), fontsize=7)
        a.set(xlabel=xm + " [nats]", ylabel=ym + " [nats]", title=title)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "information_planes.png"), dpi=120)
    plt.close(fig)


def summary(src, dst):
    """summary.txt: the numbers the docs pages' tables quote (last epoch of each series)."""
    path = os.path.join(src, "metrics.csv")
    if not os.path.exists(path):
        return
    rows = read(path)
    last = {}
    for r in rows:
        key = (r.get("network", ""), r["layer"], r["split"], r["metric"])
        if key not in last or int(r["epoch"]) >= last[key][0]:
            last[key] = (int(r["epoch"]), float(r["value"]))
    wanted = ("accuracy", "loss", "equi_separation_pearson_r", "equi_separation_slope", "pooled_rank_correlation_mi_nc",
              "spearman_mi_nc", "tr_sw_sbpinv", "sufficiency", "minimality", "I(X;Z)_doe", "nc",
              "I(X;Z)_noisy_mixture", "I(Z;Y)_bound_HY_minus_CE", "I(X;Z)_binning", "I(Z;Y)_binning")
    lines = ["network,layer,split,metric,epoch,value"]
    for (net, layer, split, metric), (epoch, value) in sorted(last.items()):
        if metric in wanted:
            lines.append(f"{net},{layer},{split},{metric},{epoch},{value:.6g}")
    with open(os.path.join(dst, "summary_last_epoch.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


PLOTTERS = {"geometric_vs_information": geometric_vs_information, "thesis_fashion_mnist": thesis_fashion_mnist,
            "dropout_information_plane": dropout_information_plane}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src_root = sys.argv[1]
    dst_root = sys.argv[2] if len(sys.argv) > 2 else "docs/reproduce"
    for name, plot in PLOTTERS.items():
        src = os.path.join(src_root, name)
        if not os.path.isdir(src) or not any(f.endswith(".csv") for f in os.listdir(src)):
            continue
        dst = os.path.join(dst_root, name)
        os.makedirs(dst, exist_ok=True)
        for f in os.listdir(src):
            if (f.endswith(".csv") or f == "log.txt") and os.path.realpath(src) != os.path.realpath(dst):
                shutil.copy(os.path.join(src, f), os.path.join(dst, f))
        plot(src, dst)
        summary(src, dst)
        print("figures:", dst)


if __name__ == "__main__":
    main()
