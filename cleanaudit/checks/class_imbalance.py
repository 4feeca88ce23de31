"""``class_imbalance``: is one class much rarer than an even split would make it? (spec §6.7)

The rarest class (the lowest index on ties) has fraction ``p`` of the rows. Its rows score
``p`` and everyone else scores 1; its rows are flagged only when ``p < threshold / K``.
The dataset-level score is ``p``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import FRACTION, CheckInputs, CheckResult, CheckSkipped, register

NAME = "class_imbalance"


def class_imbalance_scores(
    labels: np.ndarray, num_classes: int, threshold: float = 0.1
) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Per-row flags and scores, the rarest class and its fraction.

    Fractions are taken over the classes that occur up to the largest label (as the
    reference's ``bincount``); ``num_classes`` only sets the flagging bar ``threshold / K``.

    >>> flags, scores, rarest, p = class_imbalance_scores(np.array([0, 0, 0, 0, 1]), 2, threshold=0.5)
    >>> flags.tolist(), scores.tolist(), rarest, p
    ([False, False, False, False, True], [1.0, 1.0, 1.0, 1.0, 0.2], 1, 0.2)
    """
    y = np.asarray(labels, dtype=np.int64)
    fractions = np.bincount(y) / len(y)
    rarest = int(np.argmin(fractions))
    p = float(fractions[rarest])
    in_rarest = y == rarest
    scores = np.where(in_rarest, p, 1.0)
    flagged = in_rarest & (p < threshold * (1.0 / num_classes))
    return flagged, scores, rarest, p


@register(
    NAME,
    description="The rarest class is far below an even share of the rows.",
    needs=(),
    params={"threshold": 0.1},
    limits={"threshold": FRACTION},
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Run the check on ``inputs.labels``.

    >>> res = run(CheckInputs(4, ["a", "b"], labels=np.array([0, 0, 0, 1])), {"threshold": 0.1})
    >>> res.summary_score, res.info["rarest_class"], res.num_issues
    (0.25, 'b', 0)
    """
    if inputs.labels is None or len(inputs.labels) == 0:
        raise CheckSkipped("needs labels")
    threshold = float(params.get("threshold", 0.1))
    flagged, scores, rarest, p = class_imbalance_scores(inputs.labels, len(inputs.class_names), threshold)
    name = inputs.class_names[rarest] if rarest < len(inputs.class_names) else rarest
    info = {"threshold": threshold, "rarest_class": _plain(name), "rarest_class_fraction": p}
    return CheckResult(NAME, flagged, scores, p, info)


def _plain(value: Any) -> Any:
    """NumPy scalars become Python scalars so ``info`` stays JSON-able."""
    return value.item() if isinstance(value, np.generic) else value
