"""What the pred_probs cache saves: ``audit`` then ``health`` (then ``find-issues``) on one table.

A table of mixed columns (numbers, a category, flipped labels) is written to a temp folder; each
command runs as its own ``python -m cleanaudit`` process, first with ``--no-cache`` (every
command cross-validates, as before the cache) then with a fresh ``--cache-dir`` (the first
command fits, the others reuse). The findings of both runs are compared.

    python bench/pred_probs_cache.py                    # 20k rows, --model auto
    python bench/pred_probs_cache.py --rows 5000 --model logreg

Not part of the test run. Prints seconds per command on stdout; the machine may be shared, so
read the numbers as rough.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

COMMANDS = ("audit", "health", "find-issues")


def make_table(rows: int, seed: int) -> pd.DataFrame:
    """Five classes from shifted Gaussians, a categorical column, 5% flipped labels."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows, n_features=12, n_informative=6, n_classes=5, n_clusters_per_class=1, random_state=seed
    )
    rng = np.random.default_rng(seed)
    flip = rng.random(rows) < 0.05
    y[flip] = rng.integers(0, 5, int(flip.sum()))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["region"] = rng.choice(["north", "south", "east", "west"], rows)
    frame["label"] = np.array(["a", "b", "c", "d", "e"])[y]
    return frame


def run(command: str, data: Path, model: str, cache: list[str]) -> tuple[float, dict]:
    args = [sys.executable, "-m", "cleanaudit", command, str(data), "-l", "label", "-m", model, "-f", "json", "-q"]
    started = time.perf_counter()
    done = subprocess.run([*args, *cache], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    return time.perf_counter() - started, {k: v for k, v in report.items() if k not in ("run", "notes")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--model", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "table.csv"
        make_table(options.rows, options.seed).to_csv(data, index=False)
        settings = {"before (--no-cache)": ["--no-cache"], "after (cache)": ["--cache-dir", str(Path(folder) / "c")]}
        seconds: dict[str, list[float]] = {}
        findings: dict[str, list[dict]] = {}
        for name, cache in settings.items():
            for command in COMMANDS:
                took, found = run(command, data, options.model, cache)
                seconds.setdefault(name, []).append(took)
                findings.setdefault(name, []).append(found)
    print(f"{options.rows} rows, --model {options.model}: seconds per command")
    print(f"{'':22s}" + "".join(f"{c:>13s}" for c in COMMANDS) + f"{'total':>10s}")
    for name, took in seconds.items():
        print(f"{name:22s}" + "".join(f"{t:13.1f}" for t in took) + f"{sum(took):10.1f}")
    same = findings["before (--no-cache)"] == findings["after (cache)"]
    print("identical findings with and without the cache:", same)


if __name__ == "__main__":
    main()
