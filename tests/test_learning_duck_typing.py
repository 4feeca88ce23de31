"""CleanLearning wraps any classifier, not only scikit-learn's (issue 8, item 9).

* duck-typed models (no BaseEstimator): one with get_params/set_params is cloned, one without is
  deep-copied; ``fit`` returning None is fine; fit (internal cross-validation), predict,
  predict_proba, score, get_label_issues and find_label_issues all work, and give exactly what the
  same LogisticRegression gives when wrapped directly;
* ``find_label_issues`` needs no X when pred_probs are given;
* ``labels=`` / ``y=`` in fit, labels given twice (also positionally) is a ValueError, as in the
  reference, and the public signature keeps ``y`` second;
* differential against cleanlab 2.9.0's CleanLearning wrapping the same duck-typed model.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from cleanaudit.learning import CleanLearning

try:
    from cleanlab.classification import CleanLearning as RefCleanLearning
except ImportError:  # pragma: no cover - the test extra installs it
    RefCleanLearning = None

needs_ref = pytest.mark.skipif(RefCleanLearning is None, reason="cleanlab (the reference) is not installed")


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(limits=1):
        yield


class DuckLR:
    """A classifier that is not a scikit-learn estimator: get_params/set_params by hand, fit returns None."""

    def __init__(self, C: float = 1.0):
        self.C = C

    def get_params(self, deep: bool = True) -> dict:
        return {"C": self.C}

    def set_params(self, **params) -> DuckLR:
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, X, y, sample_weight=None) -> None:
        self.model = LogisticRegression(C=self.C).fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        return self.model.predict_proba(X)


class BareLR:
    """Only fit (returning None), predict and predict_proba: nothing to clone it by."""

    def fit(self, X, y) -> None:
        self.model = LogisticRegression().fit(X, y)

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        return self.model.predict_proba(X)


def noisy_blobs(seed: int, k: int = 3, n: int = 150):
    rng = np.random.default_rng(seed)
    y_true = rng.permutation(np.arange(n) % k)
    X = rng.normal(scale=2.0, size=(k, 2))[y_true] + rng.normal(size=(n, 2))
    y = y_true.copy()
    flipped = rng.choice(n, size=n // 5, replace=False)
    y[flipped] = (y[flipped] + 1) % k
    return X, y


def pred_probs(X, y, seed: int = 0) -> np.ndarray:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    return cross_val_predict(LogisticRegression(), X, y, cv=folds, method="predict_proba")


def assert_same_fit(a, b, X) -> None:
    pd.testing.assert_frame_equal(a.get_label_issues(), b.get_label_issues())
    assert_array_equal(a.predict(X), b.predict(X))
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_duck_typed_clf_end_to_end():
    X, y = noisy_blobs(0)
    clf = DuckLR(C=0.5)
    cl = CleanLearning(clf, seed=1).fit(X, y)  # internal 5-fold cross-validation clones DuckLR
    assert isinstance(cl.clf_, DuckLR) and cl.clf_ is not clf and not hasattr(clf, "model")
    check_is_fitted(cl)
    issues = cl.get_label_issues()
    assert "sample_weight" in issues and issues["is_label_issue"].sum() > 0  # DuckLR.fit takes sample_weight
    assert cl.predict(X).shape == (150,) and cl.predict_proba(X).shape == (150, 3)
    assert cl.score(X, y) == pytest.approx(np.mean(cl.predict(X) == y))  # no clf.score: accuracy
    # The same model wrapped directly gives exactly the same fit.
    assert_same_fit(cl, CleanLearning(LogisticRegression(C=0.5), seed=1).fit(X, y), X)
    found = CleanLearning(clf, seed=1).find_label_issues(X, y)
    pd.testing.assert_frame_equal(found, issues.drop(columns="sample_weight"))


def test_duck_typed_clf_params_and_clone():
    cl = CleanLearning(DuckLR(C=0.5), seed=0)
    assert cl.get_params()["clf__C"] == 0.5
    cl.set_params(clf__C=2.0)
    copy = clone(cl)
    assert isinstance(copy.clf, DuckLR) and copy.clf is not cl.clf and copy.clf.C == 2.0
    assert cl.__sklearn_tags__().estimator_type == "classifier"  # no tags to borrow from DuckLR
    with pytest.raises(NotFittedError):
        copy.predict(np.zeros((1, 2)))


def test_clf_without_get_params_is_deep_copied():
    X, y = noisy_blobs(2)
    clf = BareLR()
    cl = CleanLearning(clf, seed=3).fit(X, y)
    assert isinstance(cl.clf_, BareLR) and not hasattr(clf, "model")
    assert_same_fit(cl, CleanLearning(make_unweighted_lr(), seed=3).fit(X, y), X)
    assert "sample_weight" not in cl.get_label_issues()  # BareLR.fit takes no sample_weight
    P = pred_probs(X, y)
    given = CleanLearning(BareLR()).fit(X, y, pred_probs=P)
    assert_same_fit(given, CleanLearning(make_unweighted_lr()).fit(X, y, pred_probs=P), X)
    assert isinstance(clone(CleanLearning(clf)).clf, BareLR)


def make_unweighted_lr():
    """LogisticRegression whose fit takes no sample_weight, as BareLR's."""

    class Unweighted(LogisticRegression):
        def fit(self, X, y):
            return super().fit(X, y)

    return Unweighted()


def test_a_clf_that_cannot_be_copied_gets_a_clear_error():
    class Broken(DuckLR):
        def __init__(self, C: float = 1.0):
            self.C = C * 2  # get_params no longer gives back the constructor's argument

    X, y = noisy_blobs(4)
    with pytest.raises(TypeError, match="could not be copied"):
        CleanLearning(Broken(), seed=0).fit(X, y)


@pytest.mark.filterwarnings("ignore:Classes .* have at most min_examples_per_class")
def test_find_label_issues_needs_no_X_with_pred_probs():
    X, y = noisy_blobs(5)
    P = pred_probs(X, y)
    with_X = CleanLearning(LogisticRegression()).find_label_issues(X, y, pred_probs=P)
    without = CleanLearning(LogisticRegression()).find_label_issues(None, y, pred_probs=P)
    pd.testing.assert_frame_equal(without, with_X)
    keywords = CleanLearning(LogisticRegression()).find_label_issues(labels=y, pred_probs=P)  # as the reference
    pd.testing.assert_frame_equal(keywords, with_X)
    with pytest.raises(ValueError, match="X is needed"):
        CleanLearning().find_label_issues(labels=y)
    with pytest.raises(ValueError, match="needs labels"):
        CleanLearning().find_label_issues(X, pred_probs=P)


def test_labels_is_a_keyword_synonym_of_y():
    X, y = noisy_blobs(6)
    by_y = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    assert_same_fit(CleanLearning(LogisticRegression(), seed=0).fit(X, labels=y), by_y, X)
    assert_same_fit(CleanLearning(LogisticRegression(), seed=0).fit(X=X, labels=y), by_y, X)  # as the reference
    assert_same_fit(CleanLearning(LogisticRegression(), seed=0).fit(X, y=y), by_y, X)
    cl = CleanLearning(LogisticRegression())
    with pytest.raises(ValueError, match="either y or labels"):
        cl.fit(X, y=y, labels=y)
    with pytest.raises(ValueError, match="requires y"):
        cl.fit(X, labels=None)
    with pytest.raises(ValueError, match="not both"):
        cl.fit(X, y, labels=y[::-1])


def test_labels_given_twice_is_a_value_error_not_a_type_error():
    X, y = noisy_blobs(6)
    cl = CleanLearning(LogisticRegression())
    with pytest.raises(ValueError, match=r"either y or labels, not both \(got positional y and y=\)"):
        cl.fit(X, y, y=y)  # Python alone would raise TypeError: multiple values for argument 'y'
    with pytest.raises(ValueError, match=r"either y or labels, not both \(got positional y and labels=\)"):
        cl.fit(X, y, labels=y)
    with pytest.raises(TypeError, match="takes from 2 to 3 positional arguments but 4 were given"):
        cl.fit(X, y, None)
    # a positional None is "not given", as y=None is
    assert_same_fit(
        CleanLearning(LogisticRegression(), seed=0).fit(X, None, labels=y),
        CleanLearning(LogisticRegression(), seed=0).fit(X, y),
        X,
    )


def test_fit_signature_keeps_y_second_for_scikit_learn():
    params = list(inspect.signature(CleanLearning.fit).parameters.values())
    assert [p.name for p in params[:4]] == ["self", "X", "y", "labels"]
    assert params[2].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and params[2].default is None
    assert params[3].kind is inspect.Parameter.KEYWORD_ONLY and params[3].default is None
    assert not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    assert list(inspect.signature(CleanLearning().fit).parameters)[:3] == ["X", "y", "labels"]  # bound


@needs_ref
def test_reference_also_raises_value_error_for_labels_and_y():
    X, y = noisy_blobs(6)
    with warnings.catch_warnings(), pytest.raises(ValueError):
        warnings.simplefilter("ignore")
        RefCleanLearning(LogisticRegression()).fit(X, y, y=y)


def ref_fit(clf, X, y, **kwargs):
    state = np.random.get_state()  # the reference reseeds NumPy's global RNG
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return RefCleanLearning(clf, **kwargs.pop("init", {})).fit(X, y, **kwargs)
    finally:
        np.random.set_state(state)


@needs_ref
@pytest.mark.parametrize("seed", [0, 7])
def test_matches_reference_with_a_duck_typed_clf(seed):
    X, y = noisy_blobs(10 + seed)
    ours = CleanLearning(DuckLR(C=0.3), seed=seed).fit(X, y)
    ref = ref_fit(DuckLR(C=0.3), X, y, init={"seed": seed})
    assert_same_fit(ours, ref, X)
    assert_array_equal(ours.noise_matrix_, ref.noise_matrix)
    assert ours.score(X, y) == ref.score(X, y)


@needs_ref
def test_matches_reference_with_a_bare_clf_and_given_pred_probs():
    X, y = noisy_blobs(20)
    P = pred_probs(X, y, seed=2)
    ours = CleanLearning(BareLR()).fit(X, y, pred_probs=P)
    ref = ref_fit(BareLR(), X, y, pred_probs=P)
    assert_same_fit(ours, ref, X)
