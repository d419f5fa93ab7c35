#!/usr/bin/env python3
"""Prints the "Bench evidence" table of docs/choosing.md from a bench CSV (default: the standard
suite's, docs/results/bench_standard.csv): per task, auto's status, bias and RMSE, the lowest RMSE
of any estimator with a value there (the Gaussian plug-in excluded: it is the exact model of the
Gaussian tasks and only a bound elsewhere), and how many cells are "ok beyond tolerance".
    python3 scripts/choosing_table.py [docs/results/bench_standard.csv]
Standard library only."""
import csv
import re
import sys


def tolerance(row):
    """The bench's tolerance (infogeo::accuracy_tolerance; docs/verdicts.md, "The tolerance"): 0.1 nats
    per dimension for differential entropies (the dimension from the task name, "... d=5 ..."),
    max(0.1, 10 % |truth|) otherwise."""
    if row["quantity"] == "entropy":
        return 0.1 * int(re.search(r"\bd=(\d+)", row["task"]).group(1))
    return max(0.1, 0.1 * abs(float(row["truth"])))


def main(path):
    rows = list(csv.DictReader(open(path, newline="")))
    tasks = []
    for r in rows:
        if r["task"] not in tasks:
            tasks.append(r["task"])
    print("| task | truth | auto: status | auto bias | auto RMSE | best RMSE (estimator) | auto - best |")
    print("|---|---:|---|---:|---:|---|---:|")
    margins = []
    refused = 0
    for task in tasks:
        cells = [r for r in rows if r["task"] == task]
        auto = next((r for r in cells if r["estimator"] == "auto"), None)
        if auto is None:
            continue
        valued = [r for r in cells if r["estimator"] != "gaussian-plugin" and r["rmse"] not in ("", "nan")]
        best = min(valued, key=lambda r: float(r["rmse"])) if valued else None
        best_text = f"{float(best['rmse']):.4f} ({best['estimator']})" if best else "-"
        if auto["rmse"] in ("", "nan"):
            refused += 1
            print(f"| {task} | {float(auto['truth']):.4f} | {auto['status']} | - | - | {best_text} | - |")
            continue
        margin = float(auto["rmse"]) - float(best["rmse"])
        margins.append(margin)
        print(f"| {task} | {float(auto['truth']):.4f} | {auto['status']} | {float(auto['bias']):+.4f} | "
              f"{float(auto['rmse']):.4f} | {best_text} | {margin:.4f} |")
    margins.sort()
    if margins:
        median = margins[len(margins) // 2]
        print()
        print(f"auto is the lowest-RMSE estimator (margin 0) on {sum(m <= 0 for m in margins)} of {len(margins)} "
              f"tasks with a value and within 0.05 nats of it on {sum(m <= 0.05 for m in margins)}; median margin "
              f"{median:.4f} nats, largest {margins[-1]:.4f} nats; refused on {refused} task(s).")
    beyond = [r for r in rows if r["status"] == "ok" and r["mean"] not in ("", "nan")
              and abs(float(r["mean"]) - float(r["truth"])) > tolerance(r)]
    print(f"'ok' cells beyond tolerance (MI: |bias| > max(0.1, 10% |truth|); entropy: > 0.1 d): {len(beyond)}"
          + "".join(f"\n- {r['task']}: {r['estimator']} (bias {float(r['bias']):+.3f})" for r in beyond))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/results/bench_standard.csv")
