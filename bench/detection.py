"""Detection benchmark: how many planted label errors the default CLI finds, against the reference pipeline.

For every dataset of ``bench/detection_data.py`` (16 of them: scikit-learn's bundled sets, the real
tables in ``sample_data/real/``, synthetic ``make_classification`` tables; 150 to 50,000 rows, 2 to
20 classes, numeric and mixed-type) labels are flipped with cleanaudit's own noise generator
(class-conditional, non-uniform) at each noise rate and seed, and the noisy table is written to a
CSV in a temp folder, exactly as a user would have it. On that file two pipelines run:

- ours: the default CLI as a user runs it, in its own process:
  ``cleanaudit find-issues FILE --label COL --no-cache -q --out DIR`` (through
  ``bench/timed_cli.py``, which is the CLI with a clock); flags and per-row ``label_quality`` come
  from ``DIR/issues.csv``. CPU seconds: ``time.process_time`` after the imports, as for the
  reference (the table's ratio), and the whole process from ``getrusage(RUSAGE_CHILDREN)``
  (start-up and imports included, ~1.5-2 s; in the JSON as ``cpu_total_s``);
- reference: scikit-learn ``LogisticRegression(max_iter=1000)`` after median imputation and
  ``StandardScaler`` of the numeric columns and ``OneHotEncoder(handle_unknown="ignore")`` of the
  text-valued ones (fitted inside each fold), ``cross_val_predict(..., method="predict_proba")``
  on ``StratifiedKFold(5, shuffle=True, random_state=0)`` (the CLI's folds at its default seed),
  then cleanlab's ``filter.find_label_issues(labels, pred_probs)`` with its defaults and
  ``rank.get_label_quality_scores`` for the ranking. CPU seconds from ``time.process_time``
  (reading the CSV included, imports not).

Scores: precision, recall and F1 of the flagged rows against the true flips, and AUPRC
(``average_precision_score``) of ``1 - label_quality``. The table shows, per dataset, the means
over seeds and noise rates; ``--json`` keeps every run. Deterministic given the seeds.

    pip install -e '.[bench]'
    python bench/detection.py --quick                   # one seed, 20% noise, every dataset (~5 min)
    python bench/detection.py                           # seeds 0,1,2 x noise 10/20/30% (~45 min)
    python bench/detection.py --datasets iris,digits --json runs.json --jobs 2

Not part of the test run. Prints a Markdown table on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detection_data import DATASETS, Table, plant_noise  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FULL_NOISE, FULL_SEEDS = (0.1, 0.2, 0.3), (0, 1, 2)
QUICK_NOISE, QUICK_SEEDS = (0.2,), (0,)
FOLD_SEED = 0  # the CLI's default --seed: both pipelines split the rows the same way
LARGE = 10_000  # rows from which the CPU budget applies (issue 11): <= 4x one 5-fold logistic regression
# On a shared 2-core machine, idle BLAS/OpenMP threads spin and bill CPU seconds that vary
# run to run (5-fold logistic regression on digits: 0.3 s with one thread, 7-31 s with two).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@lru_cache(maxsize=2)
def load_table(name: str) -> Table:
    return DATASETS[name]()


def write_noisy_csv(table: Table, noise: float, seed: int, folder: Path) -> tuple[Path, np.ndarray]:
    """Write the table with its label column replaced by noisy labels; return the path and the true flips."""
    true = table.frame[table.label]
    noisy, matrix = plant_noise(true, noise, seed)
    if matrix is None:
        raise RuntimeError(f"{table.name}: no valid noise matrix at noise {noise}, seed {seed}")
    frame = table.frame.copy()
    frame[table.label] = noisy
    path = folder / f"{table.name}.csv"
    frame.to_csv(path, index=False)
    return path, noisy != true.to_numpy()


def run_cli(path: Path, label: str, rows: int, threads: int, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The default ``find-issues`` in a subprocess: flags, quality per row, CPU seconds, the model it used."""
    out = path.parent / "out"
    command = [sys.executable, str(REPO / "bench" / "timed_cli.py"), "find-issues", str(path), "--label", label]
    command += ["--no-cache", "-q", "--out", str(out), *extra]
    # The working tree's package, and the temp folder as working folder, so no project settings
    # file (pyproject.toml / cleanaudit.toml) changes the defaults: a user's plain run.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    cpu_file = path.parent / "cpu_seconds.txt"
    env["CLEANAUDIT_BENCH_CPU_FILE"] = str(cpu_file)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=path.parent, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"cleanaudit exited {done.returncode} on {path.name}: {done.stderr.strip()[-500:]}")
    report = json.loads((out / "report.json").read_text())
    # Rows the CLI did not analyse (rare classes, missing labels) are neither flagged nor ranked.
    found = pd.read_csv(out / "issues.csv").set_index("row").reindex(pd.RangeIndex(rows))
    return {
        "flags": found["is_label_issue"].fillna(False).astype(bool).to_numpy(),
        "quality": found["label_quality"].fillna(1.0).to_numpy(dtype=float),
        # The whole process (start-up included), and the pipeline alone (after imports, as the reference).
        "cpu_total_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "cpu_s": float(cpu_file.read_text()),
        "model": report["run"]["model"],
        # What the default decided, for reading a run later: candidates' out-of-fold scores, filter, ranking.
        "settings": {
            "candidates": report["run"].get("model_candidates"),
            "filter_by": report.get("filter_by"),
            "rank_by": report.get("rank_by"),
        },
        "self_check": report.get("self_check"),  # with --self-check (bench/self_check.py)
    }


def reference_model(frame: pd.DataFrame) -> Any:
    """One-hot the text-valued columns, impute (median) and scale the numeric ones, then logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = frame.select_dtypes(exclude="number").columns.tolist()
    numeric = [column for column in frame.columns if column not in categorical]
    encode = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def run_reference(path: Path, label: str, rows: int, threads: int) -> dict[str, Any]:
    """The reference pipeline in process: 5-fold logistic regression, then cleanlab's default filter and score."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    start = time.process_time()
    frame = pd.read_csv(path)
    _, labels = np.unique(frame.pop(label).to_numpy(), return_inverse=True)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=FOLD_SEED)
    with warnings.catch_warnings(), threadpool_limits(threads):
        warnings.simplefilter("ignore")  # convergence and small-class warnings: the numbers are what count
        pred_probs = cross_val_predict(reference_model(frame), frame, labels, cv=folds, method="predict_proba")
        # n_jobs=1: the same mask as the default n_jobs, but computed in this process, so
        # process_time sees all of it (worker processes would be invisible to it).
        flags = find_label_issues(labels, pred_probs, n_jobs=1)
        quality = get_label_quality_scores(labels, pred_probs)
    return {"flags": flags, "quality": quality, "cpu_s": time.process_time() - start, "model": "logreg"}


def detection_scores(truth: np.ndarray, flags: np.ndarray, quality: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 of ``flags`` and AUPRC of the ranking ``1 - quality`` (higher = more suspect)."""
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    precision, recall, f1, _ = precision_recall_fscore_support(truth, flags, average="binary", zero_division=0)
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "auprc": float(average_precision_score(truth, 1.0 - quality)),
    }


def run_one(name: str, noise: float, seed: int, threads: int = 1) -> dict[str, Any]:
    """One dataset at one noise rate and seed: both pipelines on the same noisy CSV."""
    table = load_table(name)
    with tempfile.TemporaryDirectory(prefix=f"detect-{name}-") as folder:
        path, truth = write_noisy_csv(table, noise, seed, Path(folder))
        result: dict[str, Any] = {
            "dataset": name,
            "kind": table.kind,
            "rows": len(truth),
            "classes": int(table.frame[table.label].nunique()),
            "noise": noise,
            "noise_actual": float(truth.mean()),
            "seed": seed,
        }
        for side, run in (("ours", run_cli), ("reference", run_reference)):
            found = run(path, table.label, len(truth), threads)
            scores = detection_scores(truth, found["flags"], found["quality"])
            result[side] = {**scores, "flagged": int(found["flags"].sum()), "cpu_s": found["cpu_s"]}
            if "cpu_total_s" in found:
                result[side]["cpu_total_s"] = found["cpu_total_s"]
            result[side]["model"] = found["model"]
            result[side]["settings"] = found.get("settings")
        if len(truth) >= LARGE:  # the CPU budget: the default against --model logreg in the same CLI
            result["ours"]["cpu_logreg_s"] = run_cli(path, table.label, len(truth), threads, ("--model", "logreg"))[
                "cpu_s"
            ]
    return result


def warm_imports() -> None:
    """Import what the reference uses before timing it, as the CLI's own imports are its cost, not ours."""
    import cleanlab.filter  # noqa: F401
    import cleanlab.rank  # noqa: F401
    import sklearn.compose  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401


def _run_logged(task: tuple[str, float, int, int]) -> dict[str, Any]:
    warm_imports()
    result = run_one(*task)
    ours, ref = result["ours"], result["reference"]
    print(
        f"{result['dataset']} noise={result['noise']:.0%} seed={result['seed']}: "
        f"F1 {ours['f1']:.3f} vs {ref['f1']:.3f}, CPU {ours['cpu_s']:.1f}s vs {ref['cpu_s']:.1f}s ({ours['model']})",
        file=sys.stderr,
        flush=True,
    )
    return result


def run_all(
    names: list[str], noises: tuple[float, ...], seeds: tuple[int, ...], *, jobs: int, threads: int
) -> list[dict[str, Any]]:
    tasks = [(name, noise, seed, threads) for name in names for noise in noises for seed in seeds]
    if jobs == 1:
        return [_run_logged(task) for task in tasks]
    # Each worker runs its runs one after the other, so RUSAGE_CHILDREN and process_time stay per run.
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_run_logged, tasks))


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per dataset: the means over its seeds and noise rates, and which models ``auto`` chose."""
    rows = []
    for name in dict.fromkeys(run["dataset"] for run in runs):
        mine = [run for run in runs if run["dataset"] == name]
        row: dict[str, Any] = {key: mine[0][key] for key in ("dataset", "rows", "classes", "kind")}
        row["noise_actual"] = float(np.mean([run["noise_actual"] for run in mine]))
        for side in ("ours", "reference"):
            for metric in ("precision", "recall", "f1", "auprc", "cpu_s"):
                row[f"{metric}_{side}"] = float(np.mean([run[side][metric] for run in mine]))
        row["cpu_total_s_ours"] = float(np.mean([run["ours"].get("cpu_total_s", np.nan) for run in mine]))
        row["cpu_ratio"] = float(np.mean([run["ours"]["cpu_s"] / run["reference"]["cpu_s"] for run in mine]))
        own = [run["ours"]["cpu_s"] / run["ours"]["cpu_logreg_s"] for run in mine if "cpu_logreg_s" in run["ours"]]
        row["cpu_ratio_logreg"] = float(np.mean(own)) if own else float("nan")
        models = Counter(run["ours"]["model"].removeprefix("auto:") for run in mine)
        row["models"] = ", ".join(f"{model} {count}" if len(models) > 1 else model for model, count in models.items())
        rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    columns = "dataset N K noise F1_ours F1_ref ΔF1 AUPRC_ours AUPRC_ref CPU_s_ours CPU_s_ref CPU_×_ref model".split()
    lines = ["| " + " | ".join(column.replace("_", " ") for column in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append(
            f"| {row['dataset']} | {row['rows']:,} | {row['classes']} | {row['noise_actual']:.2f} "
            f"| {row['f1_ours']:.3f} | {row['f1_reference']:.3f} | {row['f1_ours'] - row['f1_reference']:+.3f} "
            f"| {row['auprc_ours']:.3f} | {row['auprc_reference']:.3f} "
            f"| {row['cpu_s_ours']:.1f} | {row['cpu_s_reference']:.1f} | {row['cpu_ratio']:.1f} | {row['models']} |"
        )
    gain = [row["f1_ours"] - row["f1_reference"] for row in rows]
    auprc = [row["auprc_ours"] - row["auprc_reference"] for row in rows]
    below = [row["dataset"] for row, g in zip(rows, gain) if g < 0]
    lines += [
        "",
        f"Mean over {len(rows)} datasets: ΔF1 {np.mean(gain):+.3f} (worst {min(gain):+.3f}), "
        f"ΔAUPRC {np.mean(auprc):+.3f}; ours below the reference on {len(below)}: {', '.join(below) or 'none'}.",
    ]
    large = [row for row in rows if row["rows"] >= LARGE]
    if large:
        worst = max(row["cpu_ratio"] for row in large)
        own = max(row["cpu_ratio_logreg"] for row in large)
        lines.append(
            f"CPU at N >= {LARGE:,} ({len(large)} datasets): at most {worst:.1f}x the reference pipeline's, "
            f"{own:.1f}x the same CLI's `--model logreg` run."
        )
    return "\n".join(lines)


def versions() -> dict[str, str]:
    import importlib.metadata
    import platform

    found = {"python": platform.python_version(), "machine": platform.platform(), "cpus": str(os.cpu_count())}
    for name in ("cleanaudit", "cleanlab", "scikit-learn", "numpy", "pandas"):
        found[name] = importlib.metadata.version(name)
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="seed 0 at 20%% noise only (full: 3 seeds x 10/20/30%%)")
    parser.add_argument("--datasets", help=f"comma-separated subset of: {', '.join(DATASETS)}")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel (default 1; CPU seconds stay per run)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per run, both sides (default 1)")
    parser.add_argument("--json", type=Path, help="also write every run (and the summary) to this JSON file")
    args = parser.parse_args(argv)
    args.names = args.datasets.split(",") if args.datasets else list(DATASETS)
    unknown = [name for name in args.names if name not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    if args.jobs < 1 or args.threads < 1:
        parser.error("--jobs and --threads must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    noises, seeds = (QUICK_NOISE, QUICK_SEEDS) if args.quick else (FULL_NOISE, FULL_SEEDS)
    start = time.perf_counter()
    runs = run_all(args.names, noises, seeds, jobs=args.jobs, threads=args.threads)
    rows = summarise(runs)
    print(markdown_table(rows))
    print(f"{len(runs)} runs in {time.perf_counter() - start:.0f} s wall", file=sys.stderr)
    if args.json:
        meta = {"date": time.strftime("%Y-%m-%d"), "versions": versions(), "noise": noises, "seeds": seeds}
        meta["threads"] = args.threads
        args.json.write_text(json.dumps({"meta": meta, "summary": rows, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
