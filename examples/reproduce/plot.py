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
              ("I(X;Z)_binning", "I(Z;Y)_binning", "binning (30 bins)"),
              ("ixz_kl", "I(Z;Y)_bound_HY_minus_CE", "information dropout: KL (eq. 7) / H(Y) - l_CE"))
    fig, ax = plt.subplots(1, 3, figsize=(18, 4.5))
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


def latent_point_collapse(src, dst):
    rows = read(os.path.join(src, "metrics.csv"))
    panels = (("nc1_per_dim", "NC1 / P (App. E, Fig. 3)", True),
              ("sigma_w_mean_entry", "Sigma_W mean entry (Table 1)", True),
              ("kl_entropy_formula", "KL formula, k = 100, max norm (Table 1)", False),
              ("binarity_peak_distance_over_std", "peak distance / std (App. D, eq. 27)", False),
              ("accuracy", "accuracy", False), ("auroc_mahalanobis", "misclassification AUROC, Mahalanobis", False),
              ("auroc_odin", "misclassification AUROC, ODIN T = 100", False), ("nc4", "NC4", False))
    fig, ax = plt.subplots(2, 4, figsize=(20, 8))
    for a, (metric, title, log) in zip(ax.flat, panels):
        for (net, layer, split), pts in sorted(series(rows, metric).items()):
            plot = a.semilogy if log and all(v > 0 for _, v in pts) else a.plot
            plot([e for e, _ in pts], [v for _, v in pts], "-o" if split == "train" else "--s", label=f"{net} {split}")
        a.set(xlabel="epoch", title=title)
        a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(dst, "collapse.png"), dpi=120)
    plt.close(fig)


def lossy_compression(src, dst):
    syn = os.path.join(src, "synthetic.csv")
    if os.path.exists(syn):
        rows = read(syn)
        panels = sorted({(r["kind"], r["size"]) for r in rows})
        fig, ax = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5), squeeze=False)
        for a, (kind, size) in zip(ax[0], panels):
            curves = defaultdict(list)
            for r in rows:
                if (r["kind"], r["size"]) == (kind, size) and r["estimate"] not in ("nan", ""):
                    curves[(r["compression"], r["estimator"])].append((float(r["mi_true"]), float(r["estimate"])))
            top = 0.0
            for (comp, est), pts in sorted(curves.items()):
                pts.sort()
                a.plot([t for t, _ in pts], [v for _, v in pts], "-o", label=f"{comp} + {est}")
                top = max(top, max(t for t, _ in pts))
            a.plot([0, top], [0, top], "k:", label="truth")
            a.set(xlabel="I(X;Y) [nats]", ylabel="estimate [nats]", title=f"{kind} {size}x{size} (Figs. 3-4, 6)")
            a.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(dst, "synthetic.png"), dpi=120)
        plt.close(fig)
    rows = [r for r in read(os.path.join(src, "metrics.csv")) if r.get("network") == "cnn"]
    xs, ys = series(rows, "I(X;L)_wkl"), series(rows, "I(L;Y)_wkl")
    if xs:
        fig, ax = plt.subplots(1, len(xs), figsize=(4 * len(xs), 4), squeeze=False)
        for a, (key, pts) in zip(ax[0], sorted(xs.items())):
            yv = dict(ys.get(key, []))
            px = [v for e, v in pts if e in yv]
            py = [yv[e] for e, _ in pts if e in yv]
            a.plot(px, py, "-", color="grey")
            sc = a.scatter(px, py, c=[e for e, _ in pts if e in yv], cmap="viridis")
            a.set(xlabel="I(E_X(X); E_L(L)) [nats]", ylabel="I(E_L(L); Y) [nats]", title=f"{key[1]} (Sec. 6, Fig. 5)")
        fig.colorbar(sc, ax=ax[0].tolist(), label="epoch")
        fig.savefig(os.path.join(dst, "information_plane.png"), dpi=120)
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
              "I(X;Z)_noisy_mixture", "I(Z;Y)_bound_HY_minus_CE", "I(X;Z)_binning", "I(Z;Y)_binning",
              "nc1_per_dim", "sigma_w_mean_entry", "norm_cv", "kl_entropy", "kl_entropy_formula",
              "binarity_peak_distance_over_std",
              "auroc_mahalanobis", "auroc_odin", "nc4", "I(X;L)_wkl", "I(L;Y)_wkl",
              "I(Z;Y)_edge", "ixz_kl", "alpha_mean", "I(X;Z)_bernoulli_uniform_inputs", "noisy_mixture_status_ok")
    wanted_prefixes = ("mse_", "I(X;Z)_misuse_", "misuse_")
    lines = ["network,layer,split,metric,epoch,value"]
    for (net, layer, split, metric), (epoch, value) in sorted(last.items()):
        if metric in wanted or metric.startswith(wanted_prefixes):
            lines.append(f"{net},{layer},{split},{metric},{epoch},{value:.6g}")
    with open(os.path.join(dst, "summary_last_epoch.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


PLOTTERS = {"geometric_vs_information": geometric_vs_information, "thesis_fashion_mnist": thesis_fashion_mnist,
            "dropout_information_plane": dropout_information_plane, "latent_point_collapse": latent_point_collapse,
            "lossy_compression": lossy_compression}


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
