"""--model auto chooses by out-of-fold log loss with probabilities clipped at SELECTION_CLIP."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from cleanaudit.models import select


def _fake_cross_validation(probs_by_name):
    def cross_validate(pipeline, name, features, labels, num_classes, cv, seed, jobs, tick, **plan):
        return probs_by_name[name], []

    return cross_validate


def test_a_few_confident_misses_on_noisy_labels_do_not_rule_a_model_out(monkeypatch):
    # 100 rows, the last three mislabelled. "sharp" separates the classes well and is sure those
    # labels are wrong (probability 0 on them, as a tree or neighbour model gives); "blurry" hedges
    # everywhere. Plain log loss prefers the blurry model because of three rows; the clipped score
    # prefers the sharp one.
    labels = np.array([0] * 50 + [1] * 47 + [0] * 3)
    sharp = np.where(labels[:, None] == np.arange(2), 0.95, 0.05)
    sharp[-3:] = [0.0, 1.0]
    blurry = np.where(labels[:, None] == np.arange(2), 0.6, 0.4)
    assert log_loss(labels, sharp) > log_loss(labels, blurry)  # the trap: plain log loss picks blurry
    monkeypatch.setattr(select, "AUTO_CANDIDATES", ("blurry", "sharp"))
    monkeypatch.setattr(select, "build_model", lambda name, features, seed=0, params=None: name)
    features = pd.DataFrame({"x": np.arange(100.0)})
    chosen = select.select_model(
        features,
        labels,
        2,
        None,
        5,
        0,
        None,
        None,
        cross_validate=_fake_cross_validation({"sharp": sharp, "blurry": blurry}),
    )
    assert chosen.winner == "sharp"
    scores = {c.name: c.clipped_log_loss for c in chosen.candidates}
    assert scores["sharp"] < scores["blurry"]
    assert scores["sharp"] == select.clipped_log_loss(labels, sharp)


def test_clipped_log_loss_equals_log_loss_when_nothing_is_clipped():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([2.0, 2.0, 2.0], size=200) * 0.99 + 0.01 / 3  # every entry above 0.001
    labels = rng.integers(0, 3, size=200)
    assert np.isclose(select.clipped_log_loss(labels, probs), log_loss(labels, probs), atol=1e-12)


def test_clipped_log_loss_bounds_each_row():
    labels = np.array([1])
    assert np.isclose(select.clipped_log_loss(labels, np.array([[1.0, 0.0]])), -np.log(0.001 / 1.001))


def test_complete_false_stops_at_the_choice_on_large_data():
    """The winner's other folds are fitted only for a caller that keeps them (the cluster fits its own)."""
    from cleanaudit.models.crossval import _cross_validate

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, select.AUTO_LARGE)
    x = pd.DataFrame({"a": y + rng.normal(size=len(y)), "b": rng.normal(size=len(y))})
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("only_folds"))
        return _cross_validate(*args, **kwargs)

    full = select.select_model(x, y, 3, {}, 5, 0, 1, None, cross_validate=counting)
    fitted_full = len(calls)
    calls.clear()
    choice = select.select_model(x, y, 3, {}, 5, 0, 1, None, cross_validate=counting, complete=False)
    assert choice.winner == full.winner and [c.record() for c in choice.candidates] != []
    assert len(calls) == fitted_full - 1 and calls == [[0]] * len(calls)  # fold 1 only, no completion
    rows = select.fold_rows(y, 5, 0, 0)
    np.testing.assert_array_equal(choice.pred_probs[rows], full.pred_probs[rows])
