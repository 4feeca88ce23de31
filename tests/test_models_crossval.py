"""Cross-validated pred_probs: exact reference match, determinism, auto selection, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cleanaudit.models.crossval as predict
import cleanaudit.models.select as select
from cleanaudit.data.load import load_dataset
from cleanaudit.errors import ConfigError, InputError, ModelError
from cleanaudit.models.crossval import (
    PredProbsResult,
    cross_val_pred_probs,
    cross_val_pred_probs_for_dataset,
    pred_probs_from_file,
)
from cleanaudit.models.select import AUTO_CANDIDATES
from cleanaudit.models.specs import build_model

LOGREG = "sklearn.linear_model:LogisticRegression"


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    return load_dataset([tutorial_dir / "train.csv"], label="y_int", features=["x1", "x2"])


@pytest.fixture
def blobs() -> tuple[pd.DataFrame, np.ndarray]:
    """90 rows, 3 classes, a numeric and a categorical column with gaps."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1, 2], 30)
    x = rng.normal(labels * 2.0, 1.0)
    x[::17] = np.nan
    color = np.where(rng.random(90) < 0.7, np.array(["r", "g", "b"])[labels], "g").astype(object)
    color[::13] = None
    return pd.DataFrame({"x": x, "color": color}), labels


def assert_one_line_error(excinfo, *needles: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text and excinfo.value.hint
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def test_matches_reference_to_solver_precision(tutorial, tutorial_dir):
    reference = np.load(tutorial_dir / "pred_probs_cv5_seed0_logreg.npy")
    build_model(LOGREG, tutorial.features[["x1", "x2"]], seed=0)  # the spec builds as given
    result = cross_val_pred_probs(tutorial.features[["x1", "x2"]], tutorial.labels, model=LOGREG, cv=5, seed=0)
    # Same folds and model as the reference; the fit goes through BLAS, whose kernels differ by CPU
    # (~1e-12 apart), so the probabilities agree to a tolerance, never bit for bit across machines.
    np.testing.assert_allclose(result.pred_probs, reference, rtol=0, atol=1e-9)
    assert (result.model, result.cv_folds, result.seed, result.source) == (LOGREG, 5, 0, "cross-validation")
    assert result.candidates == []


def test_same_seed_same_result_across_jobs(blobs):
    features, labels = blobs
    first = cross_val_pred_probs(features, labels, model="hist-gb", model_params={"max_iter": 10}, cv=3, seed=4)
    again = cross_val_pred_probs(features, labels, model="hist-gb", model_params={"max_iter": 10}, cv=3, seed=4, jobs=2)
    assert np.array_equal(first.pred_probs, again.pred_probs)
    other = cross_val_pred_probs(features, labels, model="hist-gb", model_params={"max_iter": 10}, cv=3, seed=5)
    assert not np.array_equal(first.pred_probs, other.pred_probs)
    np.testing.assert_allclose(first.pred_probs.sum(axis=1), 1.0)


def test_auto_on_tutorial_is_deterministic(tutorial):
    calls = []
    first = cross_val_pred_probs(
        tutorial.features, tutorial.labels, cv=5, seed=0, progress=lambda *args: calls.append(args)
    )
    again = cross_val_pred_probs(tutorial.features, tutorial.labels, cv=5, seed=0)
    assert first.model == "auto:logreg"
    assert np.array_equal(first.pred_probs, again.pred_probs)
    assert [c.name for c in first.candidates] == list(AUTO_CANDIDATES)
    assert [(c.log_loss, c.accuracy) for c in first.candidates] == [(c.log_loss, c.accuracy) for c in again.candidates]
    best = min(first.candidates, key=lambda c: c.log_loss)
    assert best.name == "logreg" and 0.6 < best.accuracy < 0.8
    # selection used every row, so the winner's pred_probs are reused: same as running it directly
    direct = cross_val_pred_probs(tutorial.features, tutorial.labels, model="logreg", cv=5, seed=0)
    assert np.array_equal(first.pred_probs, direct.pred_probs)
    assert [done for _, done, _ in calls] == list(range(1, 5 * len(AUTO_CANDIDATES) + 1))
    assert {total for _, _, total in calls} == {5 * len(AUTO_CANDIDATES)}


def test_auto_on_large_data_scores_one_fold_then_completes_the_winner(blobs, monkeypatch):
    # Large data (shrunk to the fixture's size): candidates are scored on fold 1 only, with bounded
    # settings, and the winner's other folds complete its predictions, which are then exactly a
    # full cross-validation of the winner with the same settings.
    monkeypatch.setattr(select, "AUTO_LARGE", 60)
    monkeypatch.setattr(select, "AUTO_CANDIDATES", ("logreg", "random-forest"))
    monkeypatch.setattr(select, "TREE_MAX_TRAIN_ROWS", 50)
    features, labels = blobs
    calls = []
    result = cross_val_pred_probs(features, labels, cv=3, seed=2, progress=lambda *args: calls.append(args))
    holdout = select.fold_rows(labels, 3, 2, 0)
    assert [c.rows for c in result.candidates] == [len(holdout)] * 2 and len(holdout) < len(labels)
    forest = result.candidates[1]
    assert forest.params == {"n_estimators": 30, "max_samples": 0.2} and forest.max_train_rows == 50
    assert result.candidates[0].params == {} and result.candidates[0].max_train_rows is None
    winner = result.model.removeprefix("auto:")
    chosen = next(c for c in result.candidates if c.name == winner)
    pipeline = build_model(winner, features, params=chosen.params, seed=2)
    direct, _ = predict.out_of_fold_pred_probs(
        pipeline, features, labels, labels, np.arange(3), folds=3, seed=2, max_train_rows=chosen.max_train_rows
    )
    assert np.array_equal(result.pred_probs, direct)
    np.testing.assert_allclose(result.pred_probs.sum(axis=1), 1.0)
    # progress: one fold per candidate, then the winner's other two folds
    assert calls[-1][1:] == (4, 4) and calls[-1][0] == f"cross-validating {winner}"


def test_bounded_settings_scale_with_classes_and_rows():
    assert select.bounded_params("hist-gb", 50_000, 2, 5)["max_iter"] == 50  # one tree per round, 50 rounds at most
    assert select.bounded_params("hist-gb", 50_000, 4, 5)["max_iter"] == 25  # 4 trees per round: 100
    assert select.bounded_params("hist-gb", 50_000, 12, 5)["max_iter"] == 10  # never fewer than 10 rounds
    assert select.bounded_params("logreg", 50_000, 4, 5) == {}
    assert "knn" in select.large_candidates(select.KNN_MAX_ROWS)
    assert "knn" not in select.large_candidates(select.KNN_MAX_ROWS + 1)


def test_training_rows_are_capped_per_fold_with_every_class_kept():
    labels = np.array([0] * 300 + [1] * 3)
    rows = predict.stratified_sample(np.arange(303), labels, 30, seed=0)
    assert np.bincount(labels[rows]).tolist() == [30, 1]  # the rare class keeps a row
    assert np.array_equal(rows, predict.stratified_sample(np.arange(303), labels, 30, seed=0))
    seen = []

    class Recorder:
        def fit(self, X, y):
            seen.append(len(y))
            self.classes_ = np.unique(y)
            return self

        def predict_proba(self, X):
            return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    X = np.zeros((303, 1))
    predict.out_of_fold_pred_probs(
        Recorder(),
        X,
        labels,
        labels,
        np.arange(2),
        folds=3,
        seed=0,
        sequential=True,
        copy=lambda m: m,
        max_train_rows=50,
    )
    assert len(seen) == 3 and all(48 <= n <= 52 for n in seen)


def test_auto_skips_a_failing_candidate(blobs, monkeypatch):
    monkeypatch.setattr(select, "AUTO_CANDIDATES", ("sklearn.svm:LinearSVC", "logreg"))
    features, labels = blobs
    with pytest.raises(ConfigError):  # a spec without predict_proba is a configuration mistake, not skipped
        cross_val_pred_probs(features, labels, cv=3)
    monkeypatch.setattr(select, "AUTO_CANDIDATES", (f"{__name__}:Broken", "logreg"))
    result = cross_val_pred_probs(features, labels, cv=3)
    assert result.model == "auto:logreg"
    assert result.candidates[0].log_loss == float("inf") and "broken on purpose" in result.candidates[0].error


class Broken:
    """An estimator whose fit always fails."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def fit(self, X, y):
        raise ValueError("broken on purpose\nsecond line")

    def predict_proba(self, X):
        raise AssertionError("never fitted")


def test_mixed_features_run_through_every_preset(blobs):
    features, labels = blobs
    for name in ("logreg", "knn", "random-forest"):
        params = {"n_estimators": 10} if name == "random-forest" else None
        result = cross_val_pred_probs(features, labels, model=name, model_params=params, cv=3)
        assert result.pred_probs.shape == (90, 3)
        np.testing.assert_allclose(result.pred_probs.sum(axis=1), 1.0)


def test_dataset_convenience_and_class_names_in_errors(tmp_path):
    path = tmp_path / "d.csv"
    # x in halves: a row number (0..19) would be left out as an id, leaving no feature
    path.write_text("x,y\n" + "".join(f"{i / 2},{'rare' if i < 2 else 'common'}\n" for i in range(20)))
    ds = load_dataset([path], label="y")
    with pytest.raises(ModelError) as excinfo:
        cross_val_pred_probs_for_dataset(ds, model="logreg", cv=5)
    assert_one_line_error(excinfo, "class 'rare'", "2 example", "5 cross-validation folds")
    assert "--cv 2" in excinfo.value.hint
    assert cross_val_pred_probs_for_dataset(ds, model="logreg", cv=2).pred_probs.shape == (20, 2)


def test_small_class_is_rejected_before_fitting(blobs, monkeypatch):
    features, labels = blobs
    labels = labels.copy()
    labels[:29] = 1  # class 0 keeps 1 example
    monkeypatch.setattr(predict, "build_model", lambda *a, **k: pytest.fail("fitted anyway"))
    with pytest.raises(ModelError) as excinfo:
        cross_val_pred_probs(features, labels, model="logreg", cv=3)
    assert_one_line_error(excinfo, "class 0", "1 example")
    assert "at least 2 examples" in excinfo.value.hint


@pytest.mark.parametrize("cv", [1, 0, -3, True, 2.5])
def test_bad_cv(blobs, cv):
    with pytest.raises(ConfigError) as excinfo:
        cross_val_pred_probs(*blobs, model="logreg", cv=cv)
    assert_one_line_error(excinfo, "--cv")


def test_fit_failure_is_a_one_line_model_error(blobs):
    # A bad parameter value is caught by scikit-learn's own validation before any fold is fitted.
    with pytest.raises(ConfigError) as excinfo:
        cross_val_pred_probs(*blobs, model="logreg", model_params={"C": -1.0}, cv=3)
    assert_one_line_error(excinfo, "--model-param for model 'logreg' rejected", "'C' parameter")
    with pytest.raises(ModelError) as excinfo:
        cross_val_pred_probs(*blobs, model=f"{__name__}:Broken", cv=3)
    assert_one_line_error(excinfo, "broken on purpose second line")


def test_input_errors(blobs):
    features, labels = blobs
    with pytest.raises(InputError) as excinfo:
        cross_val_pred_probs(features[[]], labels, model="logreg")
    assert_one_line_error(excinfo, "no feature columns")
    with pytest.raises(InputError) as excinfo:
        cross_val_pred_probs(features, labels[:-1], model="logreg")
    assert_one_line_error(excinfo, "90 rows", "89")
    with pytest.raises(InputError):
        cross_val_pred_probs(features, labels.astype(str), model="logreg")
    with pytest.raises(ConfigError) as excinfo:
        cross_val_pred_probs(features, labels, model="auto", model_params={"C": 1.0})
    assert_one_line_error(excinfo, "--model-param", "auto")


def test_model_warnings_are_returned_not_shown(blobs, recwarn):
    result = cross_val_pred_probs(*blobs, model="logreg", model_params={"max_iter": 1}, cv=3)
    assert any("ConvergenceWarning" in message for message in result.warnings)
    assert len(result.warnings) == len(set(result.warnings))
    assert not [w for w in recwarn if "converge" in str(w.message)]


@pytest.mark.filterwarnings("ignore:The least populated class")
def test_missing_fold_class_gets_zero_probability():
    features = pd.DataFrame({"x": np.arange(6, dtype=float)})
    labels = np.array([0, 0, 0, 1, 1, 2])
    model = build_model("logreg", features)
    probs, _ = predict._cross_validate(model, "logreg", features, labels, 3, 2, 0, None, lambda: None)
    lone = np.flatnonzero(labels == 2)[0]
    assert probs[lone, 2] == 0.0  # its fold's model never saw class 2
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_pred_probs_from_file(tutorial_dir):
    path = tutorial_dir / "pred_probs_cv3_logreg.npy"
    result = pred_probs_from_file(path, class_names=[0, 1, 2, 3], num_examples=250)
    assert isinstance(result, PredProbsResult)
    assert (result.model, result.cv_folds, result.seed, result.source) == ("precomputed", None, None, str(path))
    assert np.array_equal(result.pred_probs, np.load(path))


# --- the one out-of-fold routine (also CleanLearning's) ------------------------------------


def test_out_of_fold_is_the_same_sequential_or_in_joblib_workers(blobs):
    from threadpoolctl import threadpool_limits

    features, labels = blobs
    model = build_model("logreg", features)
    with threadpool_limits(limits=1):  # the joblib folds run on one BLAS thread: compare like with like
        here, none = predict.out_of_fold_pred_probs(
            model, features, labels, labels, np.arange(3), folds=3, seed=1, sequential=True
        )
    ticks = []
    workers, _ = predict.out_of_fold_pred_probs(
        model, features, labels, labels, np.arange(3), folds=3, seed=1, jobs=2, tick=lambda: ticks.append(1)
    )
    assert none == [] and len(ticks) == 3
    assert np.array_equal(here, workers)
    direct = cross_val_pred_probs(features, labels, model="logreg", cv=3, seed=1)
    assert np.array_equal(direct.pred_probs, workers)


@pytest.mark.filterwarnings("ignore:The least populated class")
def test_out_of_fold_borrows_an_example_for_a_class_missing_from_a_fold():
    from sklearn.linear_model import LogisticRegression

    X = np.arange(12, dtype=float)[:, None]
    codes = np.array([0] * 6 + [1] * 5 + [2])
    values = np.array(["a", "b", "c"])[codes]
    seen = []

    def validation_func(X_holdout, y_holdout):
        seen.append(list(y_holdout))
        return {}

    with pytest.warns(UserWarning, match=r"too few examples for 3-fold cross-validation"):
        probs, messages = predict.out_of_fold_pred_probs(
            LogisticRegression(),
            X,
            values,
            codes,
            np.array(["a", "b", "c"]),
            folds=3,
            seed=0,
            sequential=True,
            borrow_for_missing_classes=True,
            fit_kwargs={"sample_weight": None},
            validation_func=validation_func,
        )
    assert probs[-1].tolist() == [0.0, 0.0, 1.0]  # its given label, outright
    assert messages == [] and sorted(v for fold in seen for v in fold) == sorted(values)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="has no examples"):
        predict.out_of_fold_pred_probs(
            LogisticRegression(),
            X,
            codes,
            codes,
            np.arange(4),
            folds=3,
            seed=0,
            sequential=True,
            borrow_for_missing_classes=True,
        )
    with pytest.raises(TypeError, match="validation_func must be a callable"):
        predict.out_of_fold_pred_probs(
            LogisticRegression(), X, codes, codes, np.arange(3), folds=3, seed=0, validation_func=3
        )
