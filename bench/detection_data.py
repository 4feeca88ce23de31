"""The datasets of the detection benchmark (``bench/detection.py``) and the label noise planted in them.

Every dataset is a clean table (true labels) that loads offline: scikit-learn's bundled sets, the
real public tables vendored in ``sample_data/real/`` and synthetic ``make_classification`` tables.
:func:`plant_noise` flips labels with cleanaudit's own generator, class-conditionally and
non-uniformly; the flips are the ground truth the benchmark scores against.

Not part of the test run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REAL = Path(__file__).resolve().parent.parent / "sample_data" / "real"


@dataclass(frozen=True)
class Table:
    """A clean table: feature columns plus the true labels in ``label``."""

    name: str
    frame: pd.DataFrame
    label: str
    kind: str  # "numeric" or "mixed" (has text-valued categorical columns)


def _sklearn(name: str) -> Callable[[], Table]:
    def load() -> Table:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.rename(columns={"target": "y"})
        # Class names, not codes, as a user's file would hold them (digits' names are 0..9 anyway).
        frame["y"] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
        return Table(name, frame, "y", "numeric")

    return load


def _penguins(label: str) -> Callable[[], Table]:
    def load() -> Table:
        frame = pd.read_csv(REAL / "penguins.csv")
        # The 11 birds with no sex (2 also without measurements) are dropped: the benchmark measures
        # label-error detection, not missing-value handling, and both pipelines then see the same rows.
        frame = frame.dropna().reset_index(drop=True)
        return Table(f"penguins_{label}", frame, label, "mixed")

    return load


def _seattle_weather() -> Table:
    # The date is left out: a plain scikit-learn pipeline has no encoding for it, and the
    # comparison is about finding wrong labels, not about feature engineering.
    frame = pd.read_csv(REAL / "seattle_weather.csv").drop(columns=["date"])
    return Table("seattle_weather", frame, "weather", "numeric")


def _airports() -> Table:
    # The 20 states with the most airports (the benchmark's limit is 20 classes), located by
    # latitude and longitude only: iata is an identifier and country is "USA" nearly everywhere.
    frame = pd.read_csv(REAL / "airports.csv")
    top = frame["state"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:20]
    frame = frame[frame["state"].isin(top)][["latitude", "longitude", "state"]].reset_index(drop=True)
    return Table("airports_state", frame, "state", "numeric")


def _democracy() -> Table:
    # "democracy" is a coarsening of the label (Dem/Dict) and "ehead" names the leader (1,580 values);
    # cowcode2 and politycode are country codes. Left: country, region, continent, years.
    frame = pd.read_csv(REAL / "democracy_dictatorship.csv")
    frame = frame.drop(columns=["democracy", "ehead", "cowcode2", "politycode"])
    return Table("democracy_regime", frame, "regime", "mixed")


def _synthetic(
    name: str,
    rows: int,
    classes: int,
    features: int,
    informative: int,
    redundant: int,
    *,
    categorical: int = 0,
    clusters: int = 1,
    class_sep: float = 1.0,
    weights: list[float] | None = None,
) -> Callable[[], Table]:
    def load() -> Table:
        from sklearn.datasets import make_classification

        x, y = make_classification(
            n_samples=rows,
            n_features=features,
            n_informative=informative,
            n_redundant=redundant,
            n_classes=classes,
            n_clusters_per_class=clusters,
            class_sep=class_sep,
            weights=weights,
            flip_y=0.0,  # the only label noise is the one the benchmark plants and knows
            random_state=0,
        )
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(features)])
        # make_classification puts the informative and redundant features first: turning the
        # first ones into categories loses real signal, as binning does in real data.
        for column in frame.columns[:categorical]:
            frame[column] = pd.qcut(frame[column], 5, labels=["vlow", "low", "mid", "high", "vhigh"]).astype(str)
        frame["y"] = np.array([f"class_{c:02d}" for c in range(classes)])[y]
        return Table(name, frame, "y", "mixed" if categorical else "numeric")

    return load


DATASETS: dict[str, Callable[[], Table]] = {
    "iris": _sklearn("iris"),
    "wine": _sklearn("wine"),
    "breast_cancer": _sklearn("breast_cancer"),
    "digits": _sklearn("digits"),
    "penguins_species": _penguins("species"),
    "penguins_sex": _penguins("sex"),
    "seattle_weather": _seattle_weather,
    "airports_state": _airports,
    "democracy_regime": _democracy,
    "synth_easy": _synthetic("synth_easy", 1_000, 3, 8, 5, 0, class_sep=1.5),
    "synth_redundant": _synthetic("synth_redundant", 4_000, 6, 20, 8, 8),
    "synth_hard": _synthetic("synth_hard", 3_000, 4, 10, 4, 2, clusters=2, class_sep=0.7),
    "synth_mixed": _synthetic(
        "synth_mixed", 5_000, 5, 12, 6, 2, categorical=4, weights=[0.4, 0.25, 0.15, 0.12, 0.08]
    ),  # imbalanced
    "synth_many_classes": _synthetic("synth_many_classes", 8_000, 15, 25, 12, 4, categorical=2),
    "synth_wide": _synthetic("synth_wide", 20_000, 10, 30, 14, 6, categorical=2),  # large, many classes
    "synth_large": _synthetic("synth_large", 50_000, 4, 20, 8, 4, categorical=3),
}


def plant_noise(true_labels: pd.Series, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Noisy labels for ``true_labels`` (values kept as they are) and the noise matrix used.

    The matrix is drawn with a trace of ``K * (1 - noise)``, so ``noise`` is the mean of the
    per-class flip rates (the share of flipped rows differs when classes are imbalanced);
    about a third of the off-diagonal rates are zero, so flips go to some classes and not others.
    It must be valid for the true prior (every class stays the most common label among its own
    examples); when no valid matrix is found the labels are returned unchanged with ``None``.

    >>> noisy, matrix = plant_noise(pd.Series(["a"] * 60 + ["b"] * 40), 0.2, seed=0)
    >>> int((noisy != np.array(["a"] * 60 + ["b"] * 40)).sum()) > 0, matrix.shape
    (True, (2, 2))
    """
    from cleanaudit.engine import generate_noise_matrix_from_trace, generate_noisy_labels

    names, codes = np.unique(true_labels.to_numpy(), return_inverse=True)
    k = len(names)
    py = np.bincount(codes, minlength=k) / len(codes)
    matrix = generate_noise_matrix_from_trace(
        k, k * (1.0 - noise), py=py, valid_noise_matrix=True, frac_zero_noise_rates=0.3 if k > 2 else 0.0, seed=seed
    )
    if matrix is None:
        return true_labels.to_numpy(), None
    np.random.seed(seed)  # generate_noisy_labels draws from the legacy global RNG
    return names[generate_noisy_labels(codes, matrix)], matrix
