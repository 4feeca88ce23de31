"""One-vs-rest out-of-fold pred_probs for label sets (models/multilabel.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.errors import ConfigError
from cleanaudit.models.multilabel import cross_val_multilabel_pred_probs, fold_groups, mean_binary_log_loss


@pytest.fixture(scope="module")
def yeastlike():
    """A real table made multi-label: wine's classes plus two tags read off its chemistry."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    X = data.data
    Y = np.column_stack(
        [
            data.target == 0,
            data.target == 1,
            data.target == 2,
            X["alcohol"] > X["alcohol"].median(),  # a tag the features decide exactly
            X["color_intensity"] > X["color_intensity"].quantile(0.8),
        ]
    ).astype(np.int8)
    return X, Y


def test_out_of_fold_probabilities_are_independent_per_class(yeastlike):
    X, Y = yeastlike
    result = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=5, seed=0)
    P = result.pred_probs
    assert P.shape == Y.shape and result.model == "logreg" and result.cv_folds == 5
    assert ((P >= 0) & (P <= 1)).all()
    assert not np.allclose(P.sum(axis=1), 1.0)  # one-vs-rest: rows do not sum to 1
    # Out-of-fold, yet each class is learned: better than the prevalence baseline on every class.
    prior = np.broadcast_to(Y.mean(axis=0), Y.shape)
    for c in range(Y.shape[1]):
        assert mean_binary_log_loss(Y[:, [c]], P[:, [c]]) < mean_binary_log_loss(Y[:, [c]], prior[:, [c]])


def test_same_seed_same_probabilities_other_seed_other_folds(yeastlike):
    X, Y = yeastlike
    a = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=3, seed=1).pred_probs
    b = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=3, seed=1).pred_probs
    c = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=3, seed=2).pred_probs
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert not np.allclose(a, c)


def test_auto_compares_presets_by_mean_binary_log_loss(yeastlike):
    X, Y = yeastlike
    result = cross_val_multilabel_pred_probs(X, Y, model="auto", cv=3, seed=0)
    scored = {c["model"]: c["log_loss"] for c in result.candidates}
    assert set(scored) == {"logreg", "hist-gb", "random-forest", "knn"}
    winner = result.model.split(":", 1)[1]
    assert scored[winner] == min(scored.values())
    with pytest.raises(ConfigError):
        cross_val_multilabel_pred_probs(X, Y, model="auto", model_params={"C": 1.0})


def test_fold_groups_spread_rare_classes_first():
    Y = np.zeros((20, 3), dtype=np.int8)
    Y[:, 0] = 1  # everyone
    Y[:6, 1] = 1  # rare: the group of these rows
    Y[15:, 2] = 1  # 5 rows
    groups = fold_groups(Y, 5)
    assert (groups[:6] == 1).all() and (groups[15:] == 2).all() and (groups[6:15] == 0).all()
    assert (fold_groups(Y, 7)[15:] == -1).all()  # 5 rows cannot fill 7 folds: merged into the rest


def test_a_class_rarer_than_the_folds_still_gets_a_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    Y = np.column_stack([X["a"] > 0, X["b"] > 0, np.zeros(60, bool)]).astype(np.int8)
    Y[0, 2] = 1  # one row only
    P = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=5).pred_probs
    assert P.shape == (60, 3) and np.isfinite(P).all()
