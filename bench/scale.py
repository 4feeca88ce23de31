"""The full audit at scale on one machine: ``cleanaudit audit DATA.parquet --label y`` against the reference.

Two parts, printed side by side in one run:

1. The audit's checks alone (given pred_probs, no model) against the reference's Datalab at the
   sizes of ``--checks-sizes`` (default 10k and 100k): ``bench/audit.py``'s workers, each side in
   its own process.
2. The whole command at ``--rows`` (default 1M) rows × 30 float features × 10 classes, written as
   Parquet: cross-validation, ``--model auto``, the neighbour graph and every check, in a child
   process (wall seconds and the child's peak RSS). Its pred_probs are saved, and the reference's
   engine (``cleanlab.filter.find_label_issues``) and ours run on them in this process: the same
   mask is asserted, the seconds printed.

    python bench/scale.py                          # 10k and 100k checks, 1M full audit
    python bench/scale.py --rows 200000 --checks-sizes

The data is ``bench/audit.py``'s (Gaussian blobs, one per class, with planted copies, strays
and 5% flipped labels): 30 informative dimensions, the hard case for an approximate graph.
Needs the ``bench`` extra for the reference. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from audit import ALL_CHECKS, make_data, report, spawn  # noqa: E402


def write_table(path: Path, rows: int, dims: int, classes: int, seed: int) -> None:
    import pandas as pd

    data = make_data(rows, dims, classes, seed)
    frame = pd.DataFrame(data["features"].astype(np.float32), columns=[f"f{i}" for i in range(dims)])
    frame["y"] = data["labels"]
    frame.to_parquet(path, row_group_size=100_000)


def run_cli(data: Path, out: Path, pred_probs: Path) -> dict:
    cmd = [sys.executable, "-m", "cleanaudit", "audit", str(data), "--label", "y", "--out", str(out)]
    cmd += ["--save-pred-probs", str(pred_probs), "--no-cache", "--quiet"]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        # wait4: this child's own peak RSS (RUSAGE_CHILDREN is the largest of every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            stderr.seek(0)
            sys.stderr.write(stderr.read()[-4000:])
            raise SystemExit(f"cleanaudit audit exited {os.waitstatus_to_exitcode(status)}")
    peak_mb = usage.ru_maxrss / 1024
    return {"wall": wall, "peak_mb": peak_mb, "report": json.loads((out / "report.json").read_text())}


def engines(labels: np.ndarray, pred_probs: np.ndarray) -> dict:
    from cleanlab.filter import find_label_issues as reference

    from cleanaudit.engine import find_label_issues as ours

    start = time.perf_counter()
    ref_mask = reference(labels, pred_probs)
    ref_s = time.perf_counter() - start
    start = time.perf_counter()
    our_mask = ours(labels, pred_probs)
    our_s = time.perf_counter() - start
    equal = bool(np.array_equal(ref_mask, our_mask))
    return {"reference_s": ref_s, "ours_s": our_s, "equal": equal, "n": int(our_mask.sum())}


def full_audit(args: argparse.Namespace, work: Path) -> None:
    import pandas as pd

    data = work / "data.parquet"
    start = time.perf_counter()
    write_table(data, args.rows, args.dims, args.classes, args.seed)
    written = time.perf_counter() - start
    print(f"\n## full audit: N={args.rows:,}  D={args.dims}  K={args.classes} (table written in {written:.0f}s)")
    result = run_cli(data, work / "out", work / "pred_probs.npy")
    run = result["report"]["run"]
    graph = run.get("neighbour_graph") or {}
    print(f"{'cleanaudit audit wall s':<34}{result['wall']:>10.1f}   (target <= 180)")
    print(f"{'peak RSS MB':<34}{result['peak_mb']:>10.0f}   (target <= 4096)")
    print(f"{'model':<34}{run['model']:>10}")
    method, seconds = graph.get("method", "-"), graph.get("seconds", 0)
    print(f"{'neighbour graph':<34}{method:>10}   {seconds:.1f}s, recall {graph.get('recall')}, {graph.get('params')}")
    print(f"{'its run.seconds':<34}{run['seconds']:>10.1f}")
    for candidate in run.get("model_candidates") or []:
        rows, seconds = candidate.get("rows"), candidate.get("seconds") or 0
        print(f"  candidate {candidate['model']:<22}{seconds:>10.1f}s on fold 1 ({rows:,} scored rows)")
    for item in result["report"]["summary"]:
        print(f"  {item['issue_type']:<32}{item['num_issues']:>10,}")
    labels = pd.read_parquet(data, columns=["y"])["y"].to_numpy()
    pred_probs = np.load(work / "pred_probs.npy")
    compared = engines(labels, pred_probs)
    print(
        f"{'find_label_issues on its pred_probs':<34}{compared['ours_s']:>10.2f}s ours, "
        f"{compared['reference_s']:.2f}s reference; same mask: {compared['equal']} ({compared['n']:,} issues)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--checks-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--dims", type=int, default=30)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep the table and outputs here (default: a temporary folder)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    checks = ",".join(ALL_CHECKS)
    audit_args = SimpleNamespace(dims=args.dims, classes=args.classes, seed=args.seed, checks=checks, knn_method="auto")
    for size in args.checks_sizes:
        ours = spawn("ours", audit_args, size)
        ref = spawn("datalab", audit_args, size)
        report(size, audit_args, ours, ref)
        sys.stdout.flush()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        full_audit(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            full_audit(args, Path(tmp))


if __name__ == "__main__":
    main()
