"""Cross-validated pred_probs from the CLI: the reference's split and model give its numbers."""

from __future__ import annotations

import json

import pytest


def test_sklearn_class_reproduces_published_confident_joint(cli, tutorial_dir):
    # The tutorial's cv5 pred_probs come from exactly this split and model (tutorial README).
    result = cli("noise-matrix", tutorial_dir / "train.csv", "-l", "y_int", "--features", "x1,x2",
                 "--model", "sklearn.linear_model:LogisticRegression", "--cv", "5", "--seed", "0",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["confident_joint"] == [[68, 0, 8, 8], [5, 46, 3, 0], [15, 3, 32, 13], [2, 1, 12, 34]]
    assert out["run"]["model"] == "sklearn.linear_model:LogisticRegression"
    assert out["run"]["cv_folds"] == 5 and out["run"]["seed"] == 0
    assert out["run"]["pred_probs_source"] == "cross-validation"


def test_auto_model_records_candidates_and_repeats(cli, tutorial_dir):
    args = ("health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--format", "json", "--cv", "3")
    first = cli(*args)
    assert first.exit_code == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["run"]["model"].startswith("auto:")
    candidates = out["run"]["model_candidates"]
    assert len(candidates) >= 3
    chosen = out["run"]["model"].split(":", 1)[1]
    assert min(candidates, key=lambda c: c["log_loss"])["model"] == chosen
    # stderr lists every candidate (not in JSON on stdout)
    for c in candidates:
        assert c["model"] in first.stderr
    again = json.loads(cli(*args).stdout)
    assert again["health_score"] == out["health_score"]


def test_model_param_reaches_the_model(cli, tutorial_dir):
    base = ("health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--format", "json",
            "--model", "logreg", "-q")
    strong = json.loads(cli(*base).stdout)
    weak = cli(*base, "--model-param", "C=0.0001")
    assert weak.exit_code == 0, weak.stderr
    assert json.loads(weak.stdout)["health_score"] != pytest.approx(strong["health_score"])


def test_bad_model_param_is_input_error(cli, tutorial_dir):
    result = cli("health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--model", "logreg",
                 "--model-param", "no_such_param=1")
    assert result.exit_code == 2
    assert "no_such_param" in result.stderr and "Traceback" not in result.stderr
