"""Shared pieces of the engine's differential tests: random inputs and quiet calls."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FAST = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw, max_n: int = 50, max_k: int = 50, min_used: int = 2):
    """(labels, pred_probs): Dirichlet rows from a seeded Generator, some classes possibly unused.

    Probabilities are continuous, so sorting meets no ties; float32 or float64.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, k = draw(st.integers(2, max_n)), draw(st.integers(2, max_k))
    used = rng.choice(k, size=draw(st.integers(min(min_used, k), k)), replace=False)
    labels = rng.choice(used, size=n)
    if len(used) >= 2 and len(np.unique(labels)) < 2:
        labels[:2] = used[:2]
    probs = rng.dirichlet(np.full(k, draw(st.sampled_from([0.3, 1.0, 3.0]))), size=n)
    if draw(st.booleans()):  # make the model agree with the labels more often than not
        probs[np.arange(n), labels] += rng.random(n) * draw(st.sampled_from([0.5, 2.0]))
        probs /= probs.sum(axis=1, keepdims=True)
    return labels, probs.astype(draw(st.sampled_from([np.float64, np.float32])))


def call_silenced(fn, *args, **kwargs):
    """``fn``'s result with its warnings and prints silenced, or the exception type it raised.

    Both sides of a differential test go through this, so raising the same error counts as agreeing.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with the other side
            return type(exc)
