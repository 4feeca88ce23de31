"""--self-check: plant flips, find them again; the caller's random stream is untouched."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus
from cleanaudit.workflows.selfcheck import flip_labels, score_flips


def test_flip_labels_repeatable_and_keeps_global_rng():
    labels = np.repeat([0, 1, 2, 3], 60)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = flip_labels(labels, 0.1, seed=0)
    assert np.array_equal(np.random.get_state()[1], before)
    assert np.array_equal(a, flip_labels(labels, 0.1, seed=0))
    assert 0.03 < np.mean(a != labels) < 0.15
    assert set(np.unique(a)) == {0, 1, 2, 3}


def test_score_flips_ignores_rows_flagged_before():
    original = np.array([0, 0, 1, 1, 0])
    noisy = np.array([1, 0, 1, 1, 0])
    flagged = np.array([True, True, False, False, False])
    already = np.array([False, True, False, False, False])  # row 1 was a real error before flipping
    r = score_flips(original, noisy, flagged, already, rate=0.2, pred_probs="x")
    assert (r.num_flipped, r.num_found, r.precision, r.recall) == (1, 1, 1.0, 1.0)


@pytest.mark.parametrize("rate", ["0", "0.5", "-0.1"])
def test_bad_rate_is_usage_error(cli, tutorial_dir, rate):
    result = cli("audit", tutorial_dir / "train.csv", "-l", "y", "--self-check", rate)
    assert result.exit_code == ExitStatus.INPUT_ERROR and "--self-check" in result.stderr


def test_self_check_on_tutorial_true_labels(cli, tutorial_dir, tmp_path):
    # With the true labels, the only label errors are the ones we plant: logreg on this data finds
    # most of them (measured 0.75 recall, 0.92 precision at 10%); the tolerance leaves room for
    # library versions but catches a broken detector.
    train = pd.read_csv(tutorial_dir / "train.csv")
    truth = pd.read_csv(tutorial_dir / "true_labels.csv")
    path = tmp_path / "clean.csv"
    train.assign(y=truth.true_label)[["x1", "x2", "y"]].to_csv(path, index=False)
    result = cli(
        "audit", path, "-l", "y", "--model", "logreg", "--checks", "label", "--self-check", "0.1", "-f", "json", "-q"
    )
    assert result.exit_code == ExitStatus.OK, result.stderr
    check = json.loads(result.stdout)["self_check"]
    assert check["pred_probs"] == "cross-validated again on the flipped labels"
    assert 10 <= check["num_flipped"] <= 30
    assert check["recall"] >= 0.6 and check["precision"] >= 0.6


def test_self_check_with_given_pred_probs_says_optimistic(cli, tutorial_dir):
    result = cli(
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--self-check",
        "0.05",
        "-f",
        "json",
        "-q",
    )
    assert result.exit_code == ExitStatus.OK, result.stderr
    check = json.loads(result.stdout)["self_check"]
    assert "optimistic" in check["pred_probs"] and check["num_flipped"] > 0
