"""--self-check: plant errors as the run estimates them, detect again, and estimate the run's precision and recall."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.engine import generate_noise_matrix_from_trace, generate_noisy_labels
from cleanaudit.errors import ConfigError
from cleanaudit.status import ExitStatus
from cleanaudit.workflows.selfcheck import FALLBACK_RATE, parse_rate, result, score_planted, simulated_labels


def _noisy_world(seed: int = 0, n: int = 3000, rate: float = 0.2):
    """True labels, labels with class-conditional noise at ``rate``, and pred_probs that know the truth.

    The pred_probs are those of a good model trained on the noisy labels: mostly the true class,
    with the noise's share spread as the noise matrix says, so confident learning's noise estimate
    should come out near ``rate``.
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=n)
    matrix = generate_noise_matrix_from_trace(
        3, 3 * (1 - rate), py=np.bincount(truth) / n, valid_noise_matrix=True, seed=seed
    )
    state = np.random.get_state()
    np.random.seed(seed)
    noisy = generate_noisy_labels(truth, matrix)
    np.random.set_state(state)
    probs = matrix[:, truth].T * 0.9 + 0.1 / 3  # P(given | x) when x reveals the true class
    return truth, noisy, probs, matrix


def test_parse_rate():
    assert parse_rate("auto") == "auto" and parse_rate("AUTO") == "auto" and parse_rate("0.1") == 0.1
    for bad in ("0", "0.5", "-0.1", "lots"):
        with pytest.raises(ConfigError, match="--self-check"):
            parse_rate(bad)


def test_auto_plants_about_the_estimated_noise_and_corrects_flagged_rows():
    truth, noisy, probs, _ = _noisy_world()
    flagged = probs.argmax(axis=1) != noisy  # the rows a detector would flag here
    corrected, planted, rate = simulated_labels(noisy, probs, flagged, "auto", seed=0)
    assert rate == "auto"
    # flagged rows move to the class the posterior favours, which here is the true one
    assert np.mean(corrected[flagged] == truth[flagged]) > 0.95
    assert np.array_equal(corrected[~flagged], noisy[~flagged])
    # about as many errors planted as the data has (20%), none of them "no change"
    assert 0.15 < np.mean(planted != corrected) < 0.25
    again, again_planted, _ = simulated_labels(noisy, probs, flagged, "auto", seed=0)
    assert np.array_equal(again_planted, planted)
    assert not np.array_equal(simulated_labels(noisy, probs, flagged, "auto", seed=1)[1], planted)


def test_a_rate_scales_the_estimated_noise_and_keeps_its_shape():
    truth, noisy, probs, matrix = _noisy_world()
    flagged = probs.argmax(axis=1) != noisy
    corrected, planted, rate = simulated_labels(noisy, probs, flagged, 0.05, seed=0)
    assert rate == 0.05 and 0.03 < np.mean(planted != corrected) < 0.07
    # the pairs never confused in the data (zero noise rates) stay unconfused
    zero = [(i, j) for i in range(3) for j in range(3) if i != j and matrix[i, j] == 0]
    for given, true in zero:
        assert not np.any((planted == given) & (corrected == true))


def test_auto_falls_back_to_a_fixed_rate_when_no_errors_are_estimated():
    labels = np.repeat([0, 1], 200)
    probs = np.where(labels[:, None] == np.arange(2), 0.95, 0.05)  # a model that agrees with every label
    corrected, planted, rate = simulated_labels(labels, probs, np.zeros(400, bool), "auto", seed=0)
    assert rate == FALLBACK_RATE and np.array_equal(corrected, labels)
    assert 0.02 < np.mean(planted != corrected) < 0.08


def test_global_random_state_is_untouched():
    truth, noisy, probs, _ = _noisy_world(n=300)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    simulated_labels(noisy, probs, probs.argmax(axis=1) != noisy, "auto", seed=0)
    assert np.array_equal(np.random.get_state()[1], before)


def test_scores():
    counts = score_planted(np.array([0, 0, 1, 1]), np.array([1, 0, 0, 1]), np.array([True, True, False, False]))
    assert counts == (2, 2, 1)
    checked = result("auto", counts, "x", 0)
    assert (checked.precision, checked.recall) == (0.5, 0.5)
    assert result("auto", (0, 0, 0), "x", 0).precision is None


@pytest.fixture
def separable_noisy_csv(tmp_path):
    """600 rows of three well-separated classes with 15% class-conditional noise, and the true errors."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        600,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    matrix = generate_noise_matrix_from_trace(3, 3 * 0.85, py=np.bincount(y) / 600, valid_noise_matrix=True, seed=0)
    np.random.seed(0)
    noisy = generate_noisy_labels(y, matrix)
    path = tmp_path / "noisy.csv"
    pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=noisy).to_csv(path, index=False)
    return path, noisy != y


def test_find_issues_self_check_estimates_the_true_precision_and_recall(cli, separable_noisy_csv):
    # Where confident learning's assumptions hold (separable classes, class-conditional noise), the
    # estimate must be close to what the true errors give. On tables like this one (5 seeds, 600
    # rows, ~90 errors) it was 0.03-0.12 above the true precision and within 0.05 of the true
    # recall; sampling alone moves either by ~0.04 at this size. A broken estimate (nothing
    # planted, the wrong rows scored, pred_probs not refitted) is off by far more.
    path, errors = separable_noisy_csv
    run = cli("find-issues", path, "-l", "y", "--model", "logreg", "--self-check", "auto", "-f", "json", "-q")
    assert run.exit_code == ExitStatus.OK, run.stderr
    payload = json.loads(run.stdout)
    flagged = np.zeros(len(errors), bool)
    flagged[[issue["row"] for issue in payload["issues"]]] = True
    precision = (flagged & errors).sum() / flagged.sum()
    recall = (flagged & errors).sum() / errors.sum()
    check = payload["self_check"]
    assert check["rate"] == "auto" and check["num_corrected"] == flagged.sum()
    assert check["pred_probs"] == "cross-validated again on the planted labels"
    assert 0.1 < check["num_flipped"] / len(errors) < 0.2
    assert abs(check["precision"] - precision) < 0.15 and abs(check["recall"] - recall) < 0.1


def test_audit_self_check_with_a_rate(cli, separable_noisy_csv):
    path, _ = separable_noisy_csv
    run = cli(
        "audit", path, "-l", "y", "--model", "logreg", "--checks", "label", "--self-check", "0.1", "-f", "json", "-q"
    )
    assert run.exit_code == ExitStatus.OK, run.stderr
    check = json.loads(run.stdout)["self_check"]
    assert check["rate"] == 0.1 and 40 <= check["num_flipped"] <= 80 and check["recall"] > 0.6


@pytest.mark.parametrize("rate", ["0", "0.5", "-0.1", "often"])
def test_bad_rate_is_usage_error(cli, tutorial_dir, rate):
    for command in ("audit", "find-issues"):
        result = cli(command, tutorial_dir / "train.csv", "-l", "y", "--self-check", rate)
        assert result.exit_code == ExitStatus.INPUT_ERROR and "--self-check" in result.stderr


def test_self_check_with_given_pred_probs_says_optimistic(cli, tutorial_dir):
    result = cli(
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--self-check",
        "auto",
        "-f",
        "json",
        "-q",
    )
    assert result.exit_code == ExitStatus.OK, result.stderr
    check = json.loads(result.stdout)["self_check"]
    assert "optimistic" in check["pred_probs"] and check["num_flipped"] > 0


def test_self_check_table_in_the_terminal(cli, separable_noisy_csv):
    path, _ = separable_noisy_csv
    result = cli("find-issues", path, "-l", "y", "--model", "logreg", "--self-check", "auto", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert "Self-check" in result.stdout and "precision" in result.stdout
