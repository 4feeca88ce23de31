"""Every data command compares its model with the class prior and names leaky columns (run.model_check)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FAST = ("--model", "logreg", "--cv", "3", "--jobs", "1")


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(as_frame=True).frame


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """Real breast-cancer rows: as they are, with shuffled labels, with a noisy copy of the label,
    and with a column filled in only for one class."""
    folder = tmp_path_factory.mktemp("model_check")
    frame = _breast_cancer()
    rng = np.random.default_rng(0)
    copy = frame["target"].to_numpy().copy()
    flip = rng.choice(len(copy), size=len(copy) // 100, replace=False)
    copy[flip] = 1 - copy[flip]
    variants = {
        "real": frame,
        "shuffled": frame.assign(target=rng.permutation(frame["target"].to_numpy())),
        "copy": frame.assign(diagnosis_code=copy),
        "missing": frame.assign(followup_days=np.where(frame["target"] == 0, np.arange(len(frame)) % 97, np.nan)),
    }
    paths = {}
    for name, table in variants.items():
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr  # findings alone never make a non-zero exit
    return json.loads(result.stdout)


def test_informative_table_is_reliable(cli, tables):
    out = _json(cli("find-issues", tables["real"], "-l", "target", *FAST, "--format", "json"))
    check = out["run"]["model_check"]
    assert check["reliable"] is True and check["weak_model"] is False and check["near_perfect"] is False
    assert check["leakage"] == []
    assert check["model"]["log_loss"] < check["baseline"]["log_loss"] / 2
    assert check["baseline"]["accuracy"] == pytest.approx(357 / 569)
    assert not [n for n in out["notes"] if n["kind"] in ("weak_model", "leakage")]


def test_shuffled_labels_are_a_weak_model(cli, tables):
    result = cli("find-issues", tables["shuffled"], "-l", "target", *FAST, "--format", "json")
    out = _json(result)
    check = out["run"]["model_check"]
    assert check["weak_model"] is True and check["reliable"] is False
    assert set(check) >= {"baseline", "model", "weak_model", "leakage", "near_perfect", "reliable", "rule"}
    (note,) = [n for n in out["notes"] if n["kind"] == "weak_model"]
    assert f"{check['model']['log_loss']:.4f} vs {check['baseline']['log_loss']:.4f}" in note["message"]
    assert "unreliable" in note["message"]
    assert "not clearly better" in result.stderr  # the note is said on stderr too


def test_noisy_copy_of_the_label_is_named(cli, tables):
    out = _json(cli("health", tables["copy"], "-l", "target", *FAST, "--format", "json"))
    check = out["run"]["model_check"]
    assert [leak["column"] for leak in check["leakage"]] == ["diagnosis_code"]
    assert check["leakage"][0]["accuracy"] == pytest.approx(0.99, abs=0.006)
    assert check["reliable"] is False
    leaks = [n for n in out["notes"] if n["kind"] == "leakage"]
    assert leaks and leaks[0]["columns"] == ["diagnosis_code"]


def test_column_present_only_for_one_class_is_named(cli, tables):
    out = _json(cli("noise-matrix", tables["missing"], "-l", "target", *FAST, "--format", "json"))
    (leak,) = out["run"]["model_check"]["leakage"]
    assert leak["column"] == "followup_days" and leak["source"] == "missing_values"
    assert any(
        n["kind"] == "leakage" and "whether feature column followup_days is missing" in n["message"]
        for n in out["notes"]
    )


@pytest.mark.parametrize("command", ["overlap", "audit"])
def test_every_command_carries_the_check(cli, tables, command):
    extra = ("--checks", "label") if command == "audit" else ()
    out = _json(cli(command, tables["shuffled"], "-l", "target", *FAST, *extra, "--format", "json"))
    assert out["run"]["model_check"]["weak_model"] is True
    assert any(n["kind"] == "weak_model" for n in out["notes"])


def test_given_pred_probs_are_checked_too(cli, tutorial_dir):
    out = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
            "--format",
            "json",
        )
    )
    check = out["run"]["model_check"]
    # poorly calibrated (log loss near the prior's) but far more accurate than the majority class
    assert check["weak_model"] is False
    assert check["model"]["accuracy"] > 2 * check["baseline"]["accuracy"]
    # the features are scanned even though no model was fitted: y_int is the label recoded
    named = [leak["column"] for leak in check["leakage"]]
    assert named in ([], ["y_int"])  # [] when loading already left the exact recoding out


def test_train_path_and_ensemble_are_checked(cli, tutorial_dir):
    train = _json(
        cli(
            "find-issues",
            tutorial_dir / "test.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "--train",
            tutorial_dir / "train.csv",
            *FAST,
            "--format",
            "json",
        )
    )
    assert train["run"]["model_check"]["reliable"] is True
    assert train["run"]["model_check"]["model"]["accuracy"] > 0.6
    ensemble = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "--model",
            "logreg",
            "--model",
            "knn",
            "--cv",
            "3",
            "--jobs",
            "1",
            "--format",
            "json",
        )
    )
    assert "ensemble" in ensemble["run"] and ensemble["run"]["model_check"]["reliable"] is True
