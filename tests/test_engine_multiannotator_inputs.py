"""Input checks of the multi-annotator functions (spec §9) and convert_long_to_wide_dataset (§16).

Every bad input raises the reference's error type with its message; the long-to-wide conversion equals
``DataFrame.pivot`` (sorted tasks and annotators, NaN for gaps, the dtype kept when there are none).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from engine_cases import FAST, call_silenced
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanaudit.engine.multiannotator import (
    convert_long_to_wide_dataset,
    get_label_quality_multiannotator,
    get_majority_vote_label,
)

try:
    import cleanlab.multiannotator as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
pd = pytest.importorskip("pandas")
n = np.nan
L = np.array([[0, 0, n], [1, 1, 0], [n, 1, 1], [0, n, 0]])
P = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.9, 0.1]])

BAD = [
    ("1-D labels", L[:, 0], P, ValueError, "must be a 2D array"),
    ("a list", L.tolist(), P, ValueError, "either a NumPy array or Pandas DataFrame"),
    ("strings", np.array([["a", "b"], ["b", "b"]]), P[:2], ValueError, "cannot be strings"),
    ("a row without labels", np.vstack([L, [n, n, n]]), np.vstack([P, [0.5, 0.5]]), ValueError, r"Examples \[4\]"),
    ("an annotator without labels", np.hstack([L, np.full((4, 1), n)]), P, ValueError, r"Annotators \[3\]"),
    ("one annotator", np.array([[0.0], [1.0], [1.0], [0.0]]), P, ValueError, "more than one column"),
    ("one label per row", np.array([[0, n], [n, 1], [1, n]]), P[:3], ValueError, "only has one label"),
    ("fractional labels", L + 0.5, P, ValueError, "zero-indexed integers"),
    ("negative labels", L - 1, P, ValueError, "positive integers"),
    ("pred_probs a list", L, P.tolist(), TypeError, "numpy array"),
    ("3-D pred_probs", L, P[None], ValueError, "2d array"),
    ("short pred_probs", L, P[:3], ValueError, "same length"),
    ("too few classes", L + 1, P, ValueError, "at least 3 columns"),
]


@pytest.mark.parametrize(("labels", "probs", "error", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_like_the_reference(labels, probs, error, message):
    with pytest.raises(error, match=message):
        get_label_quality_multiannotator(labels, probs)
    if ref is not None:  # the reference raises the same type (checked so the list stays honest)
        with pytest.raises(error), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref.get_label_quality_multiannotator(labels, probs, verbose=False)


def test_dataframe_annotator_names_appear_in_errors():
    frame = pd.DataFrame(np.hstack([L, np.full((4, 1), n)]), columns=["ann", "bob", "cy", "dee"])
    with pytest.raises(ValueError, match=r"Annotators \['dee'\]"):
        get_majority_vote_label(frame)


def test_no_agreement_warns():
    with pytest.warns(UserWarning, match="do not agree on any example"):
        get_label_quality_multiannotator(np.array([[0, 1], [1, 0], [0, n], [1, 0]]), P)


# ---------------------------------------------------------------------------------------------
# convert_long_to_wide_dataset


def test_long_to_wide_sorts_and_fills_gaps():
    long = {"task": [3, 1, 1, 2], "annotator": ["z", "a", "z", "a"], "label": [1, 0, 1, 1]}
    wide = convert_long_to_wide_dataset(long)
    assert list(wide) == ["task", "a", "z"]
    assert wide["task"].tolist() == [1, 2, 3]
    assert np.array_equal(wide["a"], [0, 1, n], equal_nan=True) and wide["a"].dtype == np.float64
    assert np.array_equal(wide["z"], [1, n, 1], equal_nan=True)


def test_long_to_wide_duplicates_raise():
    with pytest.raises(ValueError, match="duplicate entries"):
        convert_long_to_wide_dataset({"task": [0, 0], "annotator": ["a", "a"], "label": [1, 0]})


@needs_ref
@settings(FAST, max_examples=40)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.sampled_from(["int", "float", "str"]), st.booleans())
def test_long_to_wide_matches_pivot(seed, complete, label_kind, string_ids):
    rng = np.random.default_rng(seed)
    tasks, annotators = rng.integers(1, 12), rng.integers(1, 6)
    cells = [(t, a) for t in range(tasks) for a in range(annotators) if complete or rng.random() < 0.6]
    rng.shuffle(cells)
    task = np.array([c[0] for c in cells], dtype=int) * 7 % 13
    annotator = np.array([f"r{c[1]}" if string_ids else c[1] for c in cells])
    labels = rng.integers(0, 4, len(cells))
    label = {"int": labels, "float": labels.astype(float), "str": np.array([f"c{v}" for v in labels])}[label_kind]
    frame = pd.DataFrame({"task": task, "annotator": annotator, "label": label})
    ours, theirs = (
        call_silenced(convert_long_to_wide_dataset, frame),
        call_silenced(ref.convert_long_to_wide_dataset, frame),
    )
    if isinstance(theirs, type) or isinstance(ours, type):
        assert ours is theirs
        return
    assert np.array_equal(ours.pop("task"), theirs.index.to_numpy())
    assert list(ours) == theirs.columns.tolist()
    for name, column in ours.items():
        expected = theirs[name].to_numpy()
        if label_kind == "str":
            assert [x if isinstance(x, str) else None for x in column] == [
                x if isinstance(x, str) else None for x in expected
            ]
        else:
            assert column.dtype == expected.dtype and np.array_equal(column, expected, equal_nan=True)
