"""Compare ``--model auto`` rules offline: every preset's out-of-fold pred_probs, once per noisy table.

    python bench/auto_rules.py fit  [--datasets a,b] [--noise 0.1,0.2,0.3] [--seeds 0,1]   # slow: fits
    python bench/auto_rules.py score                                                       # fast: rules

``fit`` plants noise in each table of ``bench/detection_data.py`` (cleanaudit's own generator),
loads it as a user's file would be (column roles included) and cross-validates each preset 5-fold,
keeping the arrays in ``--cache`` (default ``bench/.auto_rules``). ``score`` then applies each rule
(which preset's pred_probs, or which mean of them) and the default filter, and prints the F1 of
the flagged rows per table (mean over noise rates and seeds) with the difference from logistic
regression alone. A rule is only worth making the default when it is never below logreg here.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
PRESETS = ("logreg", "hist-gb", "random-forest", "knn")


def fit(cache: Path, names: list[str], noises: list[float], seeds: list[int]) -> None:
    from detection_data import DATASETS, plant_noise

    from cleanaudit.data.frame import dataset_from_frame
    from cleanaudit.models.crossval import cross_val_pred_probs

    cache.mkdir(parents=True, exist_ok=True)
    for name in names:
        table = DATASETS[name]()
        for noise in noises:
            for seed in seeds:
                tag = f"{name}_{noise}_{seed}"
                if (cache / f"{tag}.npz").exists():
                    continue
                noisy, _ = plant_noise(table.frame[table.label], noise, seed)
                frame = table.frame.copy()
                frame[table.label] = noisy
                ds = dataset_from_frame(frame, label=table.label)
                truth = np.searchsorted(ds.class_names, table.frame[table.label].to_numpy()[ds.row_positions])
                probs, seconds = {}, {}
                for preset in PRESETS:
                    start = time.process_time()
                    probs[preset.replace("-", "_")] = cross_val_pred_probs(
                        ds.features, ds.labels, model=preset, cv=5, seed=0
                    ).pred_probs
                    seconds[preset] = round(time.process_time() - start, 2)
                np.savez(cache / f"{tag}.npz", labels=ds.labels, truth=truth, **probs)
                (cache / f"{tag}.json").write_text(json.dumps(seconds))
                print(tag, len(ds.labels), seconds, flush=True)


def clipped(labels: np.ndarray, probs: np.ndarray, eps: float) -> float:
    from cleanaudit.models.select import clipped_log_loss

    return clipped_log_loss(labels, probs, eps)


def rules(labels: np.ndarray, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each rule's pred_probs for one table."""
    from sklearn.metrics import log_loss

    names = list(probs)
    plain = {k: log_loss(labels, v, labels=np.arange(v.shape[1])) for k, v in probs.items()}
    out = {"logreg": probs["logreg"], "plain_ll": probs[min(names, key=plain.get)]}
    for eps in (1e-3, 1e-2):
        score = {k: clipped(labels, v, eps) for k, v in probs.items()}
        order = sorted(names, key=score.get)
        out[f"clip{eps:g}"] = probs[order[0]]
        out[f"top2_clip{eps:g}"] = (probs[order[0]] + probs[order[1]]) / 2
    accuracy = {k: float((v.argmax(1) == labels).mean()) for k, v in probs.items()}
    out["best_acc"] = probs[max(names, key=accuracy.get)]
    out["mean4"] = sum(probs.values()) / len(probs)
    return out


def score(cache: Path) -> None:
    from sklearn.metrics import f1_score

    from cleanaudit.engine import find_label_issues

    f1: dict[str, dict[str, list[float]]] = {}
    for path in sorted(cache.glob("*.npz")):
        arrays = dict(np.load(path))
        labels, truth = arrays.pop("labels"), arrays.pop("truth")
        table = path.stem.rsplit("_", 2)[0]
        for rule, probs in rules(labels, arrays).items():
            flags = find_label_issues(labels, probs)
            f1.setdefault(table, {}).setdefault(rule, []).append(f1_score(labels != truth, flags))
    if not f1:
        raise SystemExit(f"no fitted tables in {cache}: run 'fit' first")
    columns = list(next(iter(f1.values())))
    print("table".ljust(20) + "".join(c[:12].rjust(13) for c in columns))
    gains: dict[str, list[float]] = {c: [] for c in columns}
    for table, by_rule in f1.items():
        base = float(np.mean(by_rule["logreg"]))
        means = [float(np.mean(by_rule[c])) for c in columns]
        for c, m in zip(columns, means):
            gains[c].append(m - base)
        print(table.ljust(20) + "".join(f"{m:13.3f}" for m in means))
    print("mean vs logreg".ljust(20) + "".join(f"{np.mean(gains[c]):+13.3f}" for c in columns))
    print("worst vs logreg".ljust(20) + "".join(f"{np.min(gains[c]):+13.3f}" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("fit", "score"))
    parser.add_argument("--cache", type=Path, default=Path(__file__).resolve().parent / ".auto_rules")
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--noise", default="0.1,0.2,0.3")
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    if args.step == "fit":
        from detection_data import DATASETS

        names = args.datasets.split(",") if args.datasets else [n for n in DATASETS if n != "synth_large"]
        fit(args.cache, names, [float(x) for x in args.noise.split(",")], [int(x) for x in args.seeds.split(",")])
    else:
        score(args.cache)


if __name__ == "__main__":
    main()
