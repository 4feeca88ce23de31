"""CleanLearning (cleanaudit/learning.py): a scikit-learn classifier trained on the kept examples.

* golden: the tutorial (confident joint, the 53 issues, test accuracy 0.828 -> 0.856, and
  0.940 -> 0.964 with seafoam green and yellow merged), from shared/data/tutorial/reference.json;
* differential against cleanlab 2.9.0's CleanLearning on random noisy blobs (K 2..5): internal
  cross-validation, given pred_probs, given noise / inverse noise matrices, given label_issues,
  find_label_issues_kwargs, pulearning, low_memory, a class too small for the folds. Masks,
  quality scores, sample weights, estimates and predictions must be identical;
* scikit-learn conventions: check_estimator, clone/get_params/set_params, the given clf is never
  fitted, no global RNG side effects, string labels through classes_;
* behaviour and errors: label_issues forms, clf_kwargs / validation_func, predict_proba columns.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from threadpoolctl import threadpool_limits

from cleanaudit.learning import CleanLearning

try:
    from cleanlab.classification import CleanLearning as RefCleanLearning
except ImportError:  # pragma: no cover - the test extra installs it
    RefCleanLearning = None

needs_ref = pytest.mark.skipif(RefCleanLearning is None, reason="cleanlab (the reference) is not installed")


@pytest.fixture(autouse=True)
def _one_thread():
    # Hundreds of tiny LogisticRegression fits: BLAS threads only contend (30x slower on a busy machine).
    with threadpool_limits(limits=1):
        yield


@contextlib.contextmanager
def _global_rng_kept():
    """The reference seeds NumPy's global RNG (and its batched filter prints progress): contain both."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(state)


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


def noisy_blobs(seed: int, k: int, n: int = 160, flip: float = 0.2):
    """2-D Gaussian classes (balanced-ish), ``flip`` of the training labels changed: X, y, X_test, y_true_test."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=2.5, size=(k, 2))

    def draw(m):
        y = rng.permutation(np.arange(m) % k)
        return centers[y] + rng.normal(size=(m, 2)), y

    X, y_true = draw(n)
    X_test, y_test = draw(n)
    y = y_true.copy()
    flipped = rng.choice(n, size=int(flip * n), replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, k, size=len(flipped))) % k
    return X, y, X_test, y_test


def cv_pred_probs(X, y, seed):
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    return cross_val_predict(LogisticRegression(), X, y, cv=folds, method="predict_proba")


def random_noise_matrix(k: int, seed: int) -> np.ndarray:
    """Column-stochastic, diagonal 0.6..0.9 (trace well above 1)."""
    rng = np.random.default_rng(seed)
    diagonal = rng.uniform(0.6, 0.9, size=k)
    off = rng.random((k, k))
    np.fill_diagonal(off, 0)
    m = off / off.sum(axis=0) * (1 - diagonal)
    np.fill_diagonal(m, diagonal)
    return m


def ref_fit(X, y, ref_kwargs=None, **fit_kwargs):
    with _global_rng_kept():
        return RefCleanLearning(LogisticRegression(), **(ref_kwargs or {})).fit(X, y, **fit_kwargs)


def assert_same_as_reference(ours: CleanLearning, ref, X_test) -> None:
    a, b = ours.get_label_issues(), ref.get_label_issues()
    assert list(a.columns) == list(b.columns)
    for column in b.columns:
        assert_array_equal(a[column].to_numpy(), b[column].to_numpy(), err_msg=column)
        assert a[column].dtype == b[column].dtype, column
    for ours_name, ref_name in [
        ("noise_matrix_", "noise_matrix"),
        ("inverse_noise_matrix_", "inverse_noise_matrix"),
        ("confident_joint_", "confident_joint"),
        ("py_", "py"),
    ]:
        if getattr(ref, ref_name) is not None:
            assert_array_equal(getattr(ours, ours_name), getattr(ref, ref_name), err_msg=ours_name)
    assert_array_equal(ours.predict(X_test), ref.predict(X_test))
    assert_array_equal(ours.predict_proba(X_test), ref.predict_proba(X_test))


# --- the tutorial ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    train = pd.read_csv(tutorial_dir / "train.csv")
    test = pd.read_csv(tutorial_dir / "test.csv")
    truth = pd.read_csv(tutorial_dir / "test_true_labels.csv")
    return (
        train[["x1", "x2"]].to_numpy(),
        train["y_int"].to_numpy(),
        test[["x1", "x2"]].to_numpy(),
        truth["true_label_int"].to_numpy(),
        train["y"].to_numpy(),
        truth["true_label"].to_numpy(),
    )


def test_tutorial_confident_joint_issues_and_test_accuracy(tutorial, tutorial_dir, reference):
    X, y, X_test, y_test, _, _ = tutorial
    cv5 = reference["on_pred_probs_cv5_seed0_logreg"]
    accuracy = reference["test_accuracy_vs_true_test_labels"]
    expected = cv5["clean_learning_min_examples_per_class_10"]
    one_test_row = 1 / len(y_test)
    P = np.load(tutorial_dir / "pred_probs_cv5_seed0_logreg.npy")

    # Given the reference's own pred_probs (identical arrays): counts and indices exactly.
    given = CleanLearning(LogisticRegression(), seed=0).fit(X, y, pred_probs=P)
    assert given.confident_joint_.tolist() == cv5["confident_joint_calibrated"]
    issues = given.get_label_issues()
    assert issues["is_label_issue"].sum() == expected["num_label_issues"] == 53
    assert np.flatnonzero(issues["is_label_issue"]).tolist() == expected["label_issue_indices"]
    assert_array_equal(issues["label_quality"], P[np.arange(len(y)), y])
    assert_array_equal(issues["predicted_label"], P.argmax(axis=1))
    assert given.score(X_test, y_test) == pytest.approx(accuracy["clean_learning_logreg"], abs=one_test_row)

    # Internal folds are StratifiedKFold(5, shuffle=True, random_state=0), as the reference's file.
    # The fits go through BLAS, whose kernels differ by CPU (~1e-12), so what comes out of a fit is
    # compared with a tolerance: probabilities to 1e-9, flagged rows and test accuracy to one row.
    cl = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    fitted = cl.get_label_issues()
    np.testing.assert_allclose(fitted["label_quality"], P[np.arange(len(y)), y], rtol=0, atol=1e-9)
    assert np.abs(cl.confident_joint_ - np.array(cv5["confident_joint_calibrated"])).sum() <= 2
    assert (fitted["is_label_issue"] != issues["is_label_issue"]).sum() <= 1
    plain = LogisticRegression().fit(X, y).score(X_test, y_test)
    assert plain == pytest.approx(accuracy["logreg_trained_on_noisy_train"], abs=one_test_row)
    assert cl.score(X_test, y_test) == pytest.approx(accuracy["clean_learning_logreg"], abs=one_test_row)
    assert accuracy["logreg_trained_on_noisy_train"] == 0.828 and accuracy["clean_learning_logreg"] == 0.856


def test_tutorial_merging_seafoam_green_and_yellow(tutorial, reference):
    X, y, X_test, y_test, _, _ = tutorial
    accuracy = reference["test_accuracy_vs_true_test_labels"]
    merge = {0: 0, 1: 1, 2: 2, 3: 2}
    y_m, y_test_m = np.vectorize(merge.get)(y), np.vectorize(merge.get)(y_test)
    plain = LogisticRegression().fit(X, y_m).score(X_test, y_test_m)
    cleaned = CleanLearning(LogisticRegression(), seed=0).fit(X, y_m).score(X_test, y_test_m)
    assert plain == pytest.approx(accuracy["merged_classes_2_and_3_logreg"]) == 0.94
    assert cleaned == pytest.approx(accuracy["merged_classes_2_and_3_clean_learning"]) == 0.964


def test_tutorial_with_class_names_as_labels(tutorial):
    X, y, X_test, _, names, true_names = tutorial
    by_code = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    by_name = CleanLearning(LogisticRegression(), seed=0).fit(X, names)
    assert by_name.classes_.tolist() == ["blue", "purple", "seafoam green", "yellow"]
    a, b = by_code.get_label_issues(), by_name.get_label_issues()
    # Sorted class names reorder the columns, not the examples: same issues, scores and weights
    # (scores to rounding: LogisticRegression's solver sees its classes in another order).
    assert_array_equal(a["is_label_issue"], b["is_label_issue"])
    np.testing.assert_allclose(a["label_quality"], b["label_quality"], rtol=0, atol=1e-9)
    assert_array_equal(a["sample_weight"], b["sample_weight"])
    assert_array_equal(b["given_label"], names)
    code_to_name = dict(zip(y, names))
    assert_array_equal(b["predicted_label"], [code_to_name[c] for c in a["predicted_label"]])
    assert_array_equal(by_name.predict(X_test), [code_to_name[c] for c in by_code.predict(X_test)])
    assert by_name.score(X_test, true_names) == pytest.approx(0.856)


# --- differential: the reference's CleanLearning ----------------------------------------------

CASES = [(0, 2), (1, 3), (2, 4), (3, 5)]


@needs_ref
@pytest.mark.parametrize(("seed", "k"), CASES)
def test_matches_reference_with_internal_cross_validation(seed, k):
    X, y, X_test, _ = noisy_blobs(seed, k)
    ours = CleanLearning(LogisticRegression(), seed=seed).fit(X, y)
    assert_same_as_reference(ours, ref_fit(X, y, {"seed": seed}), X_test)


@needs_ref
@pytest.mark.parametrize(("seed", "k"), CASES)
@pytest.mark.parametrize("converge", [False, True])
def test_matches_reference_with_given_pred_probs(seed, k, converge):
    X, y, X_test, _ = noisy_blobs(seed + 10, k, n=200)
    P = cv_pred_probs(X, y, seed)
    ours = CleanLearning(LogisticRegression(), converge_latent_estimates=converge).fit(X, y, pred_probs=P)
    ref = ref_fit(X, y, {"converge_latent_estimates": converge}, pred_probs=P)
    assert_same_as_reference(ours, ref, X_test)


@needs_ref
@pytest.mark.parametrize(("seed", "k"), CASES)
@pytest.mark.parametrize("which", ["noise_matrix", "inverse_noise_matrix", "both"])
@pytest.mark.parametrize("with_pred_probs", [True, False])
def test_matches_reference_with_a_known_noise_matrix(seed, k, which, with_pred_probs):
    X, y, X_test, _ = noisy_blobs(seed + 20, k)
    matrices = {}
    if which in ("noise_matrix", "both"):
        matrices["noise_matrix"] = random_noise_matrix(k, seed)
    if which in ("inverse_noise_matrix", "both"):
        matrices["inverse_noise_matrix"] = random_noise_matrix(k, seed + 1)
    extra = {"pred_probs": cv_pred_probs(X, y, seed)} if with_pred_probs else {}
    ours = CleanLearning(LogisticRegression(), seed=seed).fit(X, y, **extra, **matrices)
    ref = ref_fit(X, y, {"seed": seed}, **extra, **{m: v.copy() for m, v in matrices.items()})  # may modify them
    assert_same_as_reference(ours, ref, X_test)
    # The known matrix is the prior: it sets the sample weights; the joint still comes from pred_probs.
    known = matrices.get("noise_matrix")
    if known is not None:
        weights = ours.get_label_issues()["sample_weight"].to_numpy()
        kept = ~ours.get_label_issues()["is_label_issue"].to_numpy()
        assert_array_equal(weights[kept], 1 / np.diagonal(known)[y[kept]])


@needs_ref
@pytest.mark.parametrize(("seed", "k"), CASES[:3])
def test_matches_reference_with_given_label_issues(seed, k):
    X, y, X_test, _ = noisy_blobs(seed + 30, k)
    P = cv_pred_probs(X, y, seed)
    mask = CleanLearning().find_label_issues(X, y, pred_probs=P)["is_label_issue"].to_numpy()
    forms = {"mask": mask, "indices": np.flatnonzero(mask)}
    for form in forms.values():
        # Fresh estimators: no noise matrix known, so no sample weights; quality from the given pred_probs.
        ours = CleanLearning(LogisticRegression()).fit(X, y, label_issues=form, pred_probs=P)
        assert "sample_weight" not in ours.get_label_issues()
        assert_same_as_reference(ours, ref_fit(X, y, label_issues=form, pred_probs=P), X_test)

    # find_label_issues first, then fit on its frame: the stored noise matrix gives the weights.
    ours = CleanLearning(LogisticRegression())
    frame = ours.find_label_issues(X, y, pred_probs=P)
    ours.fit(X, y, label_issues=frame)
    with _global_rng_kept():
        ref = RefCleanLearning(LogisticRegression())
        ref.fit(X, y, label_issues=ref.find_label_issues(X, y, pred_probs=P))
    assert_same_as_reference(ours, ref, X_test)
    assert "sample_weight" in ours.get_label_issues()
    assert "sample_weight" not in frame  # the caller's frame is not modified


@needs_ref
@pytest.mark.parametrize("kwargs", [
    {"find_label_issues_kwargs": {"filter_by": "both"}},
    {"find_label_issues_kwargs": {"filter_by": "prune_by_class", "frac_noise": 0.5}},
    {"find_label_issues_kwargs": {"filter_by": "confident_learning"}},
    {"find_label_issues_kwargs": {"filter_by": "predicted_neq_given"}},
    {"find_label_issues_kwargs": {"filter_by": "low_normalized_margin"}},
    {"find_label_issues_kwargs": {"min_examples_per_class": 0}},
    {"label_quality_scores_kwargs": {"method": "normalized_margin"}},
    {"label_quality_scores_kwargs": {"method": "confidence_weighted_entropy"}},
])  # fmt: skip
def test_matches_reference_with_find_and_score_options(kwargs):
    X, y, X_test, _ = noisy_blobs(7, 4, n=240)
    P = cv_pred_probs(X, y, 7)
    ours = CleanLearning(LogisticRegression(), **kwargs).fit(X, y, pred_probs=P)
    assert_same_as_reference(ours, ref_fit(X, y, kwargs, pred_probs=P), X_test)


@needs_ref
def test_a_given_confident_joint_is_used_for_the_issues_and_the_weights():
    X, y, X_test, _ = noisy_blobs(8, 3, n=240)
    P = cv_pred_probs(X, y, 8)
    cj = np.array([[60, 10, 10], [5, 70, 5], [10, 0, 70]])
    ours = CleanLearning(LogisticRegression(), find_label_issues_kwargs={"confident_joint": cj}).fit(X, y, pred_probs=P)
    ref = ref_fit(X, y, {"find_label_issues_kwargs": {"confident_joint": cj.copy()}}, pred_probs=P)
    a, b = ours.get_label_issues(), ref.get_label_issues()
    for column in b.columns:
        assert_array_equal(a[column], b[column], err_msg=column)
    assert_array_equal(ours.noise_matrix_, ref.noise_matrix)
    assert_array_equal(ours.predict_proba(X_test), ref.predict_proba(X_test))
    assert cj.tolist() == [[60, 10, 10], [5, 70, 5], [10, 0, 70]]  # not modified


@needs_ref
@pytest.mark.parametrize("positive", [0, 1])
def test_matches_reference_with_pulearning(positive):
    X, y, X_test, _ = noisy_blobs(9, 2, n=200)
    P = cv_pred_probs(X, y, 9)
    ours = CleanLearning(LogisticRegression(), pulearning=positive).fit(X, y, pred_probs=P)
    assert_same_as_reference(ours, ref_fit(X, y, {"pulearning": positive}, pred_probs=P), X_test)
    assert ours.noise_matrix_[positive, 1 - positive] == 0
    assert ours.confident_joint_[positive, 1 - positive] == 0


@needs_ref
@pytest.mark.parametrize("n", [300, 25_000])
def test_matches_reference_with_low_memory(n):
    # Beyond 10,000 rows the streaming thresholds are averaged over batches.
    rng = np.random.default_rng(n)
    k = 4
    y = rng.integers(0, k, size=n)
    P = rng.dirichlet(np.ones(k), size=n)
    P[np.arange(n), y] += rng.random(n)
    P /= P.sum(axis=1, keepdims=True)
    X = P[:, :2] + rng.normal(scale=0.1, size=(n, 2))
    ours = CleanLearning(LogisticRegression(), low_memory=True).fit(X, y, pred_probs=P)
    ref = ref_fit(X, y, {"low_memory": True}, pred_probs=P)
    assert ours.get_label_issues()["is_label_issue"].sum() > 0
    assert_same_as_reference(ours, ref, X[:50])


@needs_ref
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_matches_reference_when_a_class_is_too_small_for_the_folds():
    # One example of class 2: the training fold of the fold that holds it out borrows it (with a warning)
    # and its out-of-fold prediction is its given label.
    X, y, X_test, _ = noisy_blobs(11, 3, n=150)
    y[y == 2] = 0
    y[np.flatnonzero(y == 0)[0]] = 2
    with pytest.warns(UserWarning, match="too few examples"):
        ours = CleanLearning(LogisticRegression(), seed=3).fit(X, y)
    ref = ref_fit(X, y, {"seed": 3})
    assert_same_as_reference(ours, ref, X_test)
    single = np.flatnonzero(y == 2)[0]
    assert ours.get_label_issues()["label_quality"][single] == 1.0


# --- scikit-learn conventions -----------------------------------------------------------------


# seed=None (the default) shuffles the folds from NumPy's global RNG, like random_state=None in
# scikit-learn, so two fits on the same data may prune differently: the checks that compare two
# fits fail by design. With a seed every check passes (and see test_fits_repeat_exactly_with_a_seed).
FOLDS_DIFFER = "seed=None: each fit draws new cross-validation folds, so two fits may prune differently"
SEED_NONE_EXPECTED_FAILURES = {
    "check_fit_idempotent": FOLDS_DIFFER,
    "check_supervised_y_2d": FOLDS_DIFFER,
    "check_classifier_data_not_an_array": FOLDS_DIFFER,
}


@pytest.mark.parametrize("seed", [0, None])
def test_check_estimator(seed):
    from sklearn.utils.estimator_checks import check_estimator

    expected = SEED_NONE_EXPECTED_FAILURES if seed is None else {}
    results = []
    with _global_rng_kept():
        np.random.seed(0)  # seed=None draws folds from the global RNG: keep this test deterministic
        check_estimator(
            CleanLearning(LogisticRegression(), seed=seed),
            expected_failed_checks=expected,
            on_fail=None,
            callback=lambda **r: results.append(r),
        )
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 50
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= set(expected) | {"check_array_api_input"}  # array-API checks need array_api_compat


def test_fits_repeat_exactly_with_a_seed():
    X, y, X_test, _ = noisy_blobs(4, 3)
    first = CleanLearning(LogisticRegression(), seed=5).fit(X, y)
    proba = first.predict_proba(X_test)
    assert_array_equal(first.fit(X, y).predict_proba(X_test), proba)
    with pytest.warns(Warning, match="column-vector"):  # DataConversionWarning, like any sklearn classifier
        column = CleanLearning(LogisticRegression(), seed=5).fit(X, y[:, None])
    assert_array_equal(column.predict_proba(X_test), proba)


def test_no_global_rng_side_effects():
    X, y, _, _ = noisy_blobs(5, 3)
    state = np.random.get_state()
    cl = CleanLearning(LogisticRegression(), seed=123)
    cl.fit(X, y)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    if RefCleanLearning is not None:  # the reference, by contrast, reseeds it
        with _global_rng_kept():
            np.random.seed(1)
            RefCleanLearning(LogisticRegression(), seed=123)
            assert np.random.get_state()[1][0] == np.random.RandomState(123).get_state()[1][0]


def test_clone_params_and_the_given_clf_stays_unfitted():
    clf = LogisticRegression(C=0.5)
    cl = CleanLearning(clf, seed=1, find_label_issues_kwargs={"filter_by": "both"})
    params = cl.get_params()
    assert params["clf__C"] == 0.5 and params["seed"] == 1 and params["cv_n_folds"] == 5
    assert CleanLearning().get_params()["clf"] is None
    cl.set_params(clf__C=2.0, cv_n_folds=3)
    assert clf.C == 2.0 and cl.cv_n_folds == 3
    copy = clone(cl)
    assert copy.clf is not clf and copy.get_params()["clf__C"] == 2.0
    X, y, _, _ = noisy_blobs(6, 3)
    cl.fit(X, y)
    assert not hasattr(clf, "coef_") and hasattr(cl.clf_, "coef_")
    assert cl.find_label_issues_kwargs == {"filter_by": "both"}  # parameters are never modified
    assert cl.n_features_in_ == 2 and cl.classes_.tolist() == [0, 1, 2]
    assert not hasattr(copy, "clf_")
    with pytest.raises(NotFittedError):
        copy.predict(X)


def test_default_clf_flattens_images():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    X = rng.normal(size=(60, 2, 3)) + y[:, None, None]
    cl = CleanLearning(seed=0).fit(X, y)
    assert cl.clf is None and isinstance(cl.clf_, LogisticRegression)
    assert cl.n_features_in_ == 6
    assert cl.predict(X).shape == (60,) and cl.predict_proba(X).shape == (60, 2) and 0.5 < cl.score(X, y) <= 1


def test_dataframe_features_keep_their_names():
    X, y, X_test, _ = noisy_blobs(12, 3)
    frame = pd.DataFrame(X, columns=["a", "b"])
    cl = CleanLearning(LogisticRegression(), seed=0).fit(frame, y)
    assert cl.feature_names_in_.tolist() == ["a", "b"]
    plain = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    assert_array_equal(cl.get_label_issues()["is_label_issue"], plain.get_label_issues()["is_label_issue"])
    assert_array_equal(cl.predict(pd.DataFrame(X_test, columns=["a", "b"])), plain.predict(X_test))


# --- behaviour ------------------------------------------------------------------------------

CALLS: list[dict] = []


class RecordingLR(LogisticRegression):
    """Records what each fit received (kwargs from clf_kwargs / validation_func, sample weights)."""

    def fit(self, X, y, sample_weight=None, *, tag=None, X_val=None, y_val=None):
        CALLS.append(
            {
                "n": len(y),
                "tag": tag,
                "n_val": None if y_val is None else len(y_val),
                "weighted": sample_weight is not None,
            }
        )
        return super().fit(X, y, sample_weight=sample_weight)


def test_clf_kwargs_and_validation_func_reach_the_right_fits():
    X, y, _, _ = noisy_blobs(13, 3, n=150)
    CALLS.clear()
    cl = CleanLearning(RecordingLR(), seed=0, cv_n_folds=3)
    cl.fit(
        X,
        y,
        clf_kwargs={"tag": "all"},
        clf_final_kwargs={"tag": "final"},
        validation_func=lambda X_val, y_val: {"X_val": X_val, "y_val": y_val},
    )
    folds, final = CALLS[:-1], CALLS[-1]
    assert [c["tag"] for c in folds] == ["all"] * 3 and sum(c["n_val"] for c in folds) == 150
    assert all(c["n"] + c["n_val"] == 150 and not c["weighted"] for c in folds)
    kept = int((~cl.get_label_issues()["is_label_issue"]).sum())
    assert final == {"n": kept, "tag": "final", "n_val": None, "weighted": True}


def test_user_sample_weight_replaces_the_noise_weights():
    X, y, _, _ = noisy_blobs(14, 3)
    weights = np.linspace(0.5, 1.5, len(y))
    CALLS.clear()
    cl = CleanLearning(RecordingLR(), seed=0).fit(X, y, sample_weight=weights)
    assert "sample_weight" not in cl.get_label_issues() and CALLS[-1]["weighted"]
    # A classifier without sample_weight in fit gets no weights, and refuses given ones.
    nb = CleanLearning(GaussianNB(), seed=0).fit(X, y)
    assert "sample_weight" in nb.get_label_issues()  # GaussianNB.fit takes sample_weight
    with pytest.raises(ValueError, match="sample_weight"):
        CleanLearning(make_unweighted(), seed=0).fit(X, y, sample_weight=weights)
    unweighted = CleanLearning(make_unweighted(), seed=0).fit(X, y)
    assert "sample_weight" not in unweighted.get_label_issues()


def make_unweighted():
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=5)


def test_predict_proba_keeps_a_column_for_a_class_pruned_away():
    X, y, X_test, _ = noisy_blobs(15, 3)
    labels = np.array(["a", "b", "c"])[y]
    cl = CleanLearning(LogisticRegression()).fit(X, labels, label_issues=labels == "c")
    assert cl.clf_.classes_.tolist() == ["a", "b"] and cl.classes_.tolist() == ["a", "b", "c"]
    proba = cl.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3) and np.all(proba[:, 2] == 0)
    assert set(cl.predict(X_test)) <= {"a", "b"}


@pytest.mark.filterwarnings("ignore:Classes .* have at most min_examples_per_class")
def test_find_label_issues_alone_with_pred_probs_and_no_X():
    labels = np.array(["cat", "cat", "cat", "dog", "dog", "dog"])
    P = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])
    cl = CleanLearning(find_label_issues_kwargs={"min_examples_per_class": 0})
    frame = cl.find_label_issues(None, labels, pred_probs=P)
    assert frame["is_label_issue"].tolist() == [False, False, True, False, False, True]
    assert frame["predicted_label"].tolist() == ["cat", "cat", "dog", "dog", "dog", "cat"]
    assert cl.get_label_issues() is frame and cl.noise_matrix_.shape == (2, 2)
    assert not hasattr(cl, "clf_")  # nothing fitted yet
    other = CleanLearning().find_label_issues(None, labels, pred_probs=P, save_space=True)
    assert other["is_label_issue"].sum() == 0  # default min_examples_per_class=10 protects small classes


def test_integer_labels_may_leave_a_class_of_pred_probs_unseen():
    y = np.array([0, 0, 0, 2, 2, 2, 0, 2])
    P = np.array([[0.8, 0.1, 0.1]] * 3 + [[0.1, 0.1, 0.8]] * 3 + [[0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])
    X = np.arange(8.0)[:, None]
    cl = CleanLearning(find_label_issues_kwargs={"min_examples_per_class": 0}).fit(X, y, pred_probs=P)
    assert cl.classes_.tolist() == [0, 1, 2]
    assert cl.get_label_issues()["is_label_issue"].tolist() == [False] * 6 + [True, True]
    assert cl.predict_proba(X).shape == (8, 3)


def test_verbose_logs_and_never_prints(caplog, capsys):
    X, y, _, _ = noisy_blobs(18, 2)
    with caplog.at_level("INFO", logger="cleanaudit.learning"):
        CleanLearning(LogisticRegression(), seed=0, verbose=True).fit(X, labels=y)
    assert any("cross-validation" in m for m in caplog.messages)
    assert any("label issues" in m for m in caplog.messages)
    assert capsys.readouterr() == ("", "")


def test_refitting_on_a_previous_frame_drops_its_stale_weights():
    X, y, _, _ = noisy_blobs(19, 3)
    first = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    frame = first.get_label_issues()
    assert "sample_weight" in frame
    fresh = CleanLearning(LogisticRegression()).fit(X, y, label_issues=frame)  # no noise matrix known here
    assert "sample_weight" not in fresh.get_label_issues() and "sample_weight" in frame
    known = CleanLearning(LogisticRegression()).fit(X, y, label_issues=frame, noise_matrix=first.noise_matrix_)
    assert_array_equal(known.get_label_issues()["sample_weight"], frame["sample_weight"])
    assert_array_equal(known.predict_proba(X), first.predict_proba(X))


def test_save_space():
    X, y, X_test, _ = noisy_blobs(16, 2)
    cl = CleanLearning(LogisticRegression(), seed=0).fit(X, y)
    before = cl.predict(X_test)
    cl.save_space()
    assert cl.noise_matrix_ is None and cl.confident_joint_ is None
    assert_array_equal(cl.predict(X_test), before)
    with pytest.raises(NotFittedError, match="no label issues"):
        cl.get_label_issues()


def test_errors():
    X, y, _, _ = noisy_blobs(17, 3, n=60)
    P = cv_pred_probs(X, y, 0)
    cl = CleanLearning(LogisticRegression())
    with pytest.raises(NotFittedError):
        cl.get_label_issues()
    with pytest.raises(ValueError, match="either y or labels"):
        cl.fit(X, y, labels=y)
    with pytest.raises(ValueError, match="requires y"):
        cl.fit(X)
    with pytest.raises(ValueError, match="at least 2 classes"):
        cl.fit(X, np.zeros(60, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        cl.fit(X, np.linspace(0, 1, 60))
    with pytest.raises(ValueError, match="too few"):
        CleanLearning(cv_n_folds=25).fit(X, y)
    with pytest.raises(ValueError, match="have 2 classes but the labels have 3"):
        cl.fit(X, y, pred_probs=P[:, :2])
    with pytest.raises(ValueError, match="rows"):
        cl.fit(X[:-1], y)
    with pytest.raises(ValueError, match=r"trace\(noise_matrix\)"):
        cl.fit(X, y, pred_probs=P, noise_matrix=np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="3 x 3"):
        cl.fit(X, y, pred_probs=P, inverse_noise_matrix=np.eye(2))
    with pytest.raises(ValueError, match="clf_kwargs"):
        cl.fit(X, y, clf_kwargs={"sample_weight": np.ones(60)})
    with pytest.raises(ValueError, match="return_indices_ranked_by"):
        CleanLearning(find_label_issues_kwargs={"return_indices_ranked_by": "self_confidence"}).fit(X, y, pred_probs=P)
    with pytest.raises(ValueError, match="pulearning"):
        CleanLearning(pulearning=1).fit(X, y, pred_probs=P)
    with pytest.raises(ValueError, match="is_label_issue"):
        cl.fit(X, y, label_issues=pd.DataFrame({"issue": np.zeros(60, bool)}))
    with pytest.raises(ValueError, match="given_label"):
        cl.fit(X, y, label_issues=pd.DataFrame({"is_label_issue": np.zeros(60, bool), "given_label": y[::-1]}))
    with pytest.raises(ValueError, match="repeat"):
        cl.fit(X, y, label_issues=np.array([1, 1]))
    with pytest.raises(ValueError, match="boolean"):
        cl.fit(X, y, label_issues=np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match="sample_weight must be 1-D"):
        cl.fit(X, y, pred_probs=P, sample_weight=np.ones(3))
    with pytest.raises(TypeError, match="predict_proba"):
        CleanLearning(object()).fit(X, y)
    with pytest.raises(ValueError, match="X is needed"):
        cl.find_label_issues(None, y)
    with pytest.warns(UserWarning, match="not used when low_memory"):
        CleanLearning(low_memory=True, find_label_issues_kwargs={"filter_by": "both"}).find_label_issues(
            None, y, pred_probs=P
        )
