"""The out-of-fold confusion matrix: given label against the most likely class."""

from __future__ import annotations

import numpy as np
import pytest

from cleanaudit.workflows.confusion import MAX_MATRIX_CLASSES, TOP_CONFUSED_PAIRS, confusion_summary


def test_counts_accuracy_and_pairs_match_a_plain_count():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=300)
    pred_probs = rng.dirichlet(np.ones(4), size=300)
    summary = confusion_summary(labels, pred_probs, ["a", "b", "c", "d"])
    expected = np.zeros((4, 4), dtype=int)
    for given, predicted in zip(labels, pred_probs.argmax(axis=1)):
        expected[given, predicted] += 1
    assert summary["matrix"] == expected.tolist()
    assert summary["accuracy"] == pytest.approx(np.trace(expected) / 300)
    for i, row in enumerate(summary["per_class"]):
        assert row["rows"] == expected[i].sum() and row["correct"] == expected[i, i]
        assert row["accuracy"] == pytest.approx(expected[i, i] / expected[i].sum())
    top = summary["top_confused"][0]
    off = expected.copy()
    np.fill_diagonal(off, 0)
    assert top["rows"] == off.max()


def test_many_classes_leave_out_the_matrix_but_keep_pairs():
    k = MAX_MATRIX_CLASSES + 1
    labels = np.arange(k * 3) % k
    pred_probs = np.eye(k)[(labels + 1) % k]  # every row predicted as the next class
    summary = confusion_summary(labels, pred_probs, [f"c{i}" for i in range(k)])
    assert summary["matrix"] is None
    assert summary["accuracy"] == 0.0
    assert len(summary["top_confused"]) == TOP_CONFUSED_PAIRS
    assert summary["top_confused"][0] == {
        "given_label": "c0",
        "predicted_label": "c1",
        "rows": 3,
        "share_of_given": 1.0,
    }


def test_a_class_without_rows_has_no_accuracy():
    summary = confusion_summary(np.array([0, 0]), np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"])
    assert summary["per_class"][1] == {"class": "b", "rows": 0, "correct": 0, "accuracy": None}
