"""Peak memory and report size of the label commands with many classes (issue 8, item 8).

Synthetic data: N rows, K classes named ``c00000`` … (so sorted order = numeric order), every
class present, a few numeric features around a per-class centre, and 10% of the labels
flipped (half of the flips to a fixed "confusable" neighbour class, so some pairs overlap
much more than others). ``pred_probs`` is float64, rows sum to 1: small Gamma noise on every
class plus a peak on the true class (and a smaller one on its confusable class).

Each command runs as its own subprocess (``python -m cleanaudit ...``); its peak RSS comes
from ``os.wait4`` and a watcher kills it when its RSS passes ``--cap-gib``.

    python bench/many_classes.py                         # N=10,000, K=1,000
    python bench/many_classes.py -k 1000 2000 5000 --cap-gib 12
    python bench/many_classes.py -k 5000 --commands audit

Not part of the test run. Prints a table on stdout.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

COMMANDS = ("audit", "find-issues", "overlap", "health", "noise-matrix")


def make_data(n: int, k: int, seed: int, folder: Path, dims: int = 4) -> tuple[Path, Path]:
    """Write ``data.csv`` (features f0.., label y) and ``pred_probs.npy``; return their paths."""
    import pandas as pd

    if n < k:
        raise SystemExit(f"need N >= K so every class occurs (N={n}, K={k})")
    rng = np.random.default_rng(seed)
    y_true = rng.permutation(np.arange(n) % k)
    confusable = (np.arange(k) + 1 + rng.integers(0, 3, k)) % k  # each class's likely mix-up
    y = y_true.copy()
    flip = rng.choice(n, size=n // 10, replace=False)
    to_neighbour = rng.random(len(flip)) < 0.5
    y[flip] = np.where(to_neighbour, confusable[y_true[flip]], (y_true[flip] + rng.integers(1, k, len(flip))) % k)
    missing = np.setdiff1d(np.arange(k), y)  # keep every class: give a missing one back its row
    for c in missing:
        y[np.flatnonzero(y_true == c)[0]] = c
    centres = rng.normal(scale=3.0, size=(k, dims))
    x = centres[y_true] + rng.normal(size=(n, dims))

    p = rng.gamma(0.05, size=(n, k))
    p[np.arange(n), y_true] += rng.uniform(0.5, 6.0, n) * p.sum(axis=1) + 1e-3
    p[np.arange(n), confusable[y_true]] += rng.uniform(0.0, 0.3, n) * p.sum(axis=1)
    p /= p.sum(axis=1, keepdims=True)

    names = np.array([f"c{c:05d}" for c in range(k)])
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(dims)])
    frame["y"] = names[y]
    data, probs = folder / "data.csv", folder / "pred_probs.npy"
    frame.to_csv(data, index=False)
    np.save(probs, p)
    return data, probs


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(argv: list[str], cap_bytes: int) -> dict:
    """Run one command; peak RSS (MiB) from wait4, seconds, exit code, killed-by-cap flag."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = threading.Event()

    def watch() -> None:
        while proc.returncode is None and not killed.is_set():
            if _rss_bytes(proc.pid) > cap_bytes:
                killed.set()
                os.kill(proc.pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    killed_now = killed.is_set()
    killed.set()
    watcher.join()
    return {
        "peak_mib": usage.ru_maxrss / 1024,
        "seconds": time.perf_counter() - start,
        "rc": proc.returncode,
        "killed": killed_now,
        "stderr": stderr.decode(errors="replace")[-400:],
    }


def bench(n: int, k: int, commands: list[str], cap_gib: float, seed: int, keep: Path | None) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        data, probs = make_data(n, k, seed, folder)
        rows = []
        for command in commands:
            out = folder / f"out-{command}"
            argv = [
                sys.executable,
                "-m",
                "cleanaudit",
                command,
                str(data),
                "-l",
                "y",
                "--pred-probs",
                str(probs),
                "--out",
                str(out),
                "-q",
            ]
            measured = run(argv, int(cap_gib * 2**30))
            report = out / "report.json"
            html = out / "report.html"
            measured.update(
                n=n,
                k=k,
                command=command,
                report_mib=report.stat().st_size / 2**20 if report.exists() and measured["rc"] == 0 else None,
                html_mib=html.stat().st_size / 2**20 if html.exists() and measured["rc"] == 0 else None,
                pred_probs_mib=probs.stat().st_size / 2**20,
            )
            rows.append(measured)
            _print_row(measured)
            if measured["rc"] != 0 and not measured["killed"]:
                print(f"  {command} failed: {measured['stderr']}", file=sys.stderr)
        return rows


def _print_header() -> None:
    print(
        f"{'N':>7} {'K':>6} {'command':<13} {'peak RSS MiB':>12} {'report.json MiB':>15} "
        f"{'report.html MiB':>15} {'seconds':>8}  status"
    )


def _print_row(r: dict) -> None:
    size = lambda v: f"{v:.2f}" if v is not None else "-"  # noqa: E731
    status = "killed at the RSS cap" if r["killed"] else ("ok" if r["rc"] == 0 else f"exit {r['rc']}")
    print(
        f"{r['n']:>7} {r['k']:>6} {r['command']:<13} {r['peak_mib']:>12.0f} {size(r['report_mib']):>15} "
        f"{size(r['html_mib']):>15} {r['seconds']:>8.1f}  {status}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rows", type=int, default=10_000)
    parser.add_argument("-k", "--classes", type=int, nargs="+", default=[1_000])
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=COMMANDS)
    parser.add_argument("--cap-gib", type=float, default=12.0, help="kill a command whose RSS passes this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write data and outputs here (kept)")
    args = parser.parse_args()
    _print_header()
    for k in args.classes:
        keep = args.keep / f"n{args.rows}-k{k}" if args.keep else None
        bench(args.rows, k, args.commands, args.cap_gib, args.seed, keep)


if __name__ == "__main__":
    main()
