"""Time cleanaudit's neighbour-graph checks against the reference's Datalab on the same data.

Synthetic data: Gaussian blobs (one per class) with planted exact copies, near copies,
strays and flipped labels; ``pred_probs`` come from the true class centres (no model fit, so
both sides get identical inputs). Each side runs in its own process, so peak memory is the
process's own peak RSS. Agreement is the Jaccard index of the flagged rows per check.

    python bench/audit.py                      # 10k and 100k rows, 30 features, K=10
    python bench/audit.py --size 1000000       # ours only (the reference is too slow there)
    python bench/audit.py --size 20000 --dims 50 --knn-method sklearn

Not part of the test run. Prints a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

KNN_CHECKS = ("outlier", "near_duplicate", "non_iid", "underperforming_group")
ALL_CHECKS = ("null", "label", "outlier", "near_duplicate", "non_iid", "class_imbalance", "underperforming_group")


def make_data(n: int, d: int, num_classes: int, seed: int) -> dict[str, np.ndarray]:
    """Blobs with planted issues: 1% exact copies, 1% near copies, 0.5% strays, 5% flipped labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(num_classes, d))
    y_true = rng.integers(0, num_classes, n)
    x = centres[y_true] + rng.normal(size=(n, d))
    m = max(n // 100, 1)
    src, dst = rng.choice(n, size=(2, m), replace=False)
    x[dst] = x[src]
    y_true[dst] = y_true[src]
    src, dst = rng.choice(n, size=(2, m), replace=False)
    x[dst] = x[src] + rng.normal(scale=1e-3, size=(m, d))
    y_true[dst] = y_true[src]
    strays = rng.choice(n, size=max(n // 200, 1), replace=False)
    x[strays] = rng.normal(scale=12.0, size=(len(strays), d))
    # Class probabilities from squared distances to the centres (a well-calibrated oracle).
    logits = -0.5 * ((x[:, None, :] - centres[None]) ** 2).sum(-1) / 4.0
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = y_true.copy()
    flip = rng.choice(n, size=n // 20, replace=False)
    y[flip] = (y[flip] + rng.integers(1, num_classes, len(flip))) % num_classes
    x = (x - x.mean(0)) / x.std(0)
    return {"features": x, "labels": y, "pred_probs": p}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_imports() -> None:
    """Import what the checks import lazily, so both sides' timings exclude import time."""
    import scipy.stats  # noqa: F401
    import sklearn.cluster  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    import threadpoolctl  # noqa: F401


def run_ours(data: dict[str, np.ndarray], checks: tuple[str, ...], knn_method: str) -> dict[str, Any]:
    import pandas as pd

    from cleanaudit.checks import all_checks
    from cleanaudit.checks.base import CheckInputs, CheckSkipped
    from cleanaudit.checks.graph.knn import SharedKnn

    registry = all_checks()
    _warm_imports()
    x, y, p = data["features"], data["labels"], data["pred_probs"]
    knn = SharedKnn(x, method=knn_method)
    raw = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    inputs = CheckInputs(len(x), list(range(p.shape[1])), labels=y, pred_probs=p, features=x, raw_features=raw, knn=knn)
    times: dict[str, float] = {}
    flagged: dict[str, list[int]] = {}
    for name in checks:
        if name not in registry:
            continue
        spec = registry[name]
        if "k" in spec.params:
            knn.reserve(int(spec.params["k"]))
    start = time.perf_counter()
    knn.graph(10)
    times["graph"] = time.perf_counter() - start
    for name in checks:
        if name not in registry:
            continue
        spec = registry[name]
        start = time.perf_counter()
        try:
            result = spec.run(inputs, dict(spec.params))
        except CheckSkipped as exc:
            times[name] = float("nan")
            flagged[name] = []
            print(f"ours: {name} skipped: {exc}", file=sys.stderr)
            continue
        times[name] = time.perf_counter() - start
        flagged[name] = np.flatnonzero(result.is_issue).tolist()
    graph = knn.graph(10)
    return {
        "times": times,
        "flagged": flagged,
        "peak_mb": peak_rss_mb(),
        "method": graph.method,
        "metric": graph.metric,
    }


def run_datalab(data: dict[str, np.ndarray], checks: tuple[str, ...]) -> dict[str, Any]:
    import contextlib
    import io
    import warnings

    from cleanlab import Datalab

    x, y, p = data["features"], data["labels"], data["pred_probs"]
    lab = Datalab({"y": y}, label_name="y", verbosity=0)
    times: dict[str, float] = {}
    flagged: dict[str, list[int]] = {}
    # One find_issues call per type, in the default order: the stored graph is reused as in a
    # single call, and each check's time is visible (the outlier time includes the graph).
    for name in checks:
        start = time.perf_counter()
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            lab.find_issues(features=x, pred_probs=p, issue_types={name: {}})
        times[name] = time.perf_counter() - start
        try:
            flagged[name] = np.flatnonzero(lab.get_issues(name)[f"is_{name}_issue"].to_numpy()).tolist()
        except (ValueError, KeyError):
            flagged[name] = []
    metric = lab.get_info("statistics").get("knn_metric")
    return {"times": times, "flagged": flagged, "peak_mb": peak_rss_mb(), "metric": metric}


def jaccard(a: list[int], b: list[int]) -> float:
    sa, sb = set(a), set(b)
    return 1.0 if not sa | sb else len(sa & sb) / len(sa | sb)


def worker(args: argparse.Namespace) -> None:
    data = make_data(args.size, args.dims, args.classes, args.seed)
    checks = tuple(args.checks.split(","))
    out = run_ours(data, checks, args.knn_method) if args.worker == "ours" else run_datalab(data, checks)
    json.dump(out, sys.stdout)


def spawn(side: str, args: argparse.Namespace, size: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        side,
        "--size",
        str(size),
        "--dims",
        str(args.dims),
        "--classes",
        str(args.classes),
        "--seed",
        str(args.seed),
        "--checks",
        args.checks,
        "--knn-method",
        args.knn_method,
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{side} worker failed at size {size}")
    sys.stderr.write(proc.stderr)
    result = json.loads(proc.stdout)
    result["wall"] = time.perf_counter() - start
    return result


def report(size: int, args: argparse.Namespace, ours: dict[str, Any], ref: dict[str, Any] | None) -> None:
    checks = args.checks.split(",")
    print(
        f"\n## N={size:,}  D={args.dims}  K={args.classes}  "
        f"(ours: {ours['metric']} graph by {ours['method']}; process wall {ours['wall']:.1f}s)"
    )
    head = f"{'step':<24}{'ours s':>10}{'#flag':>8}"
    if ref:
        head += f"{'datalab s':>12}{'#flag':>8}{'speed-up':>10}{'jaccard':>9}"
    print(head)
    rows = ["graph", *checks]
    total_ours = 0.0
    total_ref = 0.0
    for name in rows:
        t = ours["times"].get(name, float("nan"))
        total_ours += 0 if np.isnan(t) else t
        line = f"{name:<24}{t:>10.2f}{len(ours['flagged'].get(name, [])) if name != 'graph' else '':>8}"
        if ref:
            if name == "graph":
                line += f"{'(in outlier)':>12}"
            else:
                rt = ref["times"].get(name, float("nan"))
                total_ref += 0 if np.isnan(rt) else rt
                j = jaccard(ours["flagged"].get(name, []), ref["flagged"].get(name, []))
                line += f"{rt:>12.2f}{len(ref['flagged'].get(name, [])):>8}{'':>10}{j:>9.3f}"
        print(line)
    line = f"{'total':<24}{total_ours:>10.2f}{'':>8}"
    if ref:
        line += f"{total_ref:>12.2f}{'':>8}{total_ref / total_ours:>9.1f}x"
    print(line)
    line = f"{'peak RSS MB':<24}{ours['peak_mb']:>10.0f}{'':>8}"
    if ref:
        line += f"{ref['peak_mb']:>12.0f}"
    print(line)
    if ref:
        knn_ours = ours["times"]["graph"] + sum(ours["times"].get(c, 0) for c in KNN_CHECKS if c in checks)
        knn_ref = sum(ref["times"].get(c, 0) for c in KNN_CHECKS if c in checks)
        speedup = knn_ref / knn_ours
        print(f"{'KNN checks incl. graph':<24}{knn_ours:>10.2f}{'':>8}{knn_ref:>12.2f}{'':>8}{speedup:>9.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, default=30)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checks", default=",".join(ALL_CHECKS), help="comma-separated, in run order")
    parser.add_argument("--knn-method", default="auto", help="auto, sklearn, flat, blocked, hnsw")
    parser.add_argument("--no-datalab", action="store_true", help="time only cleanaudit")
    parser.add_argument("--datalab-max-size", type=int, default=200_000, help="skip the reference above this size")
    parser.add_argument("--worker", choices=["ours", "datalab"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.size = args.size[0]
        worker(args)
        return
    for size in args.size:
        ours = spawn("ours", args, size)
        ref = None if args.no_datalab or size > args.datalab_max_size else spawn("datalab", args, size)
        report(size, args, ours, ref)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
