"""A crowd-labelled table whose truth is known, shared by the --annotators tests (not a test module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CLASSES = np.array(["cat", "dog", "fox"])
ACCURACY = {"ann": 0.9, "bob": 0.85, "cyd": 0.8, "dee": 0.3}  # dee is careless: near random for 3 classes


def crowd_table(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two learnable features, a true class, and 2-3 of 4 raters per row (one row labelled by nobody)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0], [2.2, 0.0], [1.1, 2.0]])
    X = centres[truth] + rng.normal(scale=0.8, size=(n, 2))
    frame = pd.DataFrame({"key": [f"k{i:03d}" for i in range(n)], "x1": X[:, 0], "x2": X[:, 1]})
    chosen = np.zeros((n, len(ACCURACY)), dtype=bool)
    for i in range(n):
        chosen[i, rng.choice(len(ACCURACY), size=rng.integers(2, 4), replace=False)] = True
    chosen[7] = False
    for m, (name, accuracy) in enumerate(ACCURACY.items()):
        right = rng.random(n) < accuracy
        wrong = (truth + rng.integers(1, 3, n)) % 3
        labels = CLASSES[np.where(right, truth, wrong)].astype(object)
        labels[~chosen[:, m]] = None
        frame[name] = labels
    return frame, CLASSES[truth]
