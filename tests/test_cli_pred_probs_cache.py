"""The pred_probs cache and --save-pred-probs through the CLI: fit once per table, save and reuse."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

COMMON = ["-l", "y", "--ignore", "y_int", "--cv", "3", "-f", "json"]


@pytest.fixture()
def fits(monkeypatch):
    """How many times cross-validation really ran (cache hits do not count)."""
    import cleanaudit.models.crossval as crossval

    calls: list[str] = []
    real = crossval.cross_val_pred_probs

    def counted(*args, **kwargs):
        calls.append(kwargs.get("model", "auto"))
        return real(*args, **kwargs)

    monkeypatch.setattr(crossval, "cross_val_pred_probs", counted)
    return calls


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _findings(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("run", "notes")}


def test_audit_health_find_issues_overlap_fit_once(cli, tutorial_dir, tmp_path, fits):
    data, cache = tutorial_dir / "train.csv", tmp_path / "cache"
    reports = {
        command: _json(cli(command, data, *COMMON, "--cache-dir", cache))
        for command in ("audit", "health", "find-issues", "overlap")
    }
    assert fits == ["auto"]
    first, *others = reports.values()
    assert first["run"]["cache"]["hit"] is False and first["run"]["cache"]["stored"] is True
    for report in others:
        assert report["run"]["cache"] == {"hit": True, "key": first["run"]["cache"]["key"], "folder": str(cache)}
        kinds = [n["kind"] for n in report["notes"]]
        assert "pred_probs_cache" in kinds and "model_selection" in kinds  # the --model auto table is kept
        assert report["run"]["model"] == first["run"]["model"]
        assert report["run"]["model_candidates"] == first["run"]["model_candidates"]
    message = next(n["message"] for n in reports["health"]["notes"] if n["kind"] == "pred_probs_cache")
    assert str(cache) in message and "--no-cache to refit" in message
    fresh = _json(cli("health", data, *COMMON, "--no-cache"))  # a hit gives exactly a fresh run's numbers
    assert fits == ["auto", "auto"] and "cache" not in fresh["run"]
    assert _findings(fresh) == _findings(reports["health"])


def test_the_environment_variable_names_the_folder(cli, tutorial_dir, tmp_path, fits):
    env = {"CLEANAUDIT_CACHE_DIR": str(tmp_path / "env-cache")}
    for _ in range(2):
        report = _json(cli("health", tutorial_dir / "train.csv", *COMMON, "-m", "logreg", env=env))
    assert fits == ["logreg"] and report["run"]["cache"]["folder"] == str(tmp_path / "env-cache")
    assert len(list((tmp_path / "env-cache" / "pred_probs").glob("*.npy"))) == 1


def test_other_model_seed_folds_or_columns_fit_again(cli, tutorial_dir, tmp_path, fits):
    data, cache = tutorial_dir / "train.csv", ["--cache-dir", tmp_path / "c"]
    base = ["health", data, "-l", "y", "-f", "json", *cache]
    runs = [
        [*base, "--ignore", "y_int", "-m", "logreg"],
        [*base, "--ignore", "y_int", "-m", "logreg", "--seed", "1"],
        [*base, "--ignore", "y_int", "-m", "logreg", "--cv", "3"],
        [*base, "--ignore", "y_int", "-m", "logreg", "--model-param", "C=0.5"],
        [*base, "--features", "x1", "-m", "logreg"],
        [*base, "--ignore", "y_int", "-m", "knn"],
    ]
    for args in runs:
        assert _json(cli(*args))["run"]["cache"]["hit"] is False
    assert len(fits) == len(runs)
    assert _json(cli(*runs[0]))["run"]["cache"]["hit"] is True and len(fits) == len(runs)


def test_no_cache_neither_reads_nor_writes(cli, tutorial_dir, tmp_path, fits):
    args = ["health", tutorial_dir / "train.csv", *COMMON, "-m", "logreg", "--cache-dir", tmp_path / "c", "--no-cache"]
    _json(cli(*args))
    _json(cli(*args))
    assert len(fits) == 2 and not (tmp_path / "c").exists()


def test_unwritable_cache_folder_is_a_note(cli, tutorial_dir, tmp_path):
    (tmp_path / "c").write_text("a file, not a folder")
    report = _json(cli("health", tutorial_dir / "train.csv", *COMMON, "-m", "logreg", "--cache-dir", tmp_path / "c"))
    assert report["run"]["cache"]["stored"] is False
    assert "pred_probs_cache_failed" in [n["kind"] for n in report["notes"]]


def test_damaged_entry_is_refit_not_a_crash(cli, tutorial_dir, tmp_path, fits):
    args = ["health", tutorial_dir / "train.csv", *COMMON, "-m", "logreg", "--cache-dir", tmp_path / "c"]
    first = _json(cli(*args))
    for npy in (tmp_path / "c" / "pred_probs").glob("*.npy"):
        npy.write_bytes(npy.read_bytes()[:100])
    again = _json(cli(*args))
    assert len(fits) == 2 and again["run"]["cache"]["hit"] is False and _findings(again) == _findings(first)
    assert _json(cli(*args))["run"]["cache"]["hit"] is True


# --- --save-pred-probs ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy"])
def test_save_then_reuse_gives_the_same_issues(cli, tutorial_dir, tmp_path, suffix):
    data, saved = tutorial_dir / "train.csv", tmp_path / f"p{suffix}"
    first = cli("find-issues", data, *COMMON, "-m", "logreg", "--save-pred-probs", saved)
    report = _json(first)
    assert f"to {saved}" in first.stderr and "out-of-fold pred_probs of logreg" in first.stderr
    assert report["run"]["saved_pred_probs"]["path"] == str(saved)
    assert "pred_probs_saved" in [n["kind"] for n in report["notes"]]
    if suffix != ".npy":
        table = pd.read_csv(saved) if suffix == ".csv" else pd.read_parquet(saved)
        assert list(table.columns) == report["dataset"]["class_names"]  # named by class, in class order
    again = _json(cli("find-issues", data, *COMMON[:-2], "-f", "json", "--pred-probs", saved))
    assert [i["row"] for i in again["issues"]] == [i["row"] for i in report["issues"]]
    for a, b in zip(again["issues"], report["issues"]):
        assert a["given_label"] == b["given_label"] and a["predicted_label"] == b["predicted_label"]
        assert a["label_quality"] == pytest.approx(b["label_quality"], rel=1e-12)  # CSV text: last bit may differ


def test_numeric_class_names_round_trip(cli, tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.choice([3, 10, 200], 120)
    frame = pd.DataFrame({"a": labels + rng.normal(size=120) * 40, "b": rng.normal(size=120), "y": labels})
    frame.to_csv(tmp_path / "d.csv", index=False)
    args = ["find-issues", tmp_path / "d.csv", "-l", "y", "--cv", "3", "-m", "logreg", "-f", "json"]
    report = _json(cli(*args, "--save-pred-probs", tmp_path / "p.csv"))
    assert pd.read_csv(tmp_path / "p.csv").columns.tolist() == ["3", "10", "200"]
    again = _json(cli(*args[:-4], "-f", "json", "--pred-probs", tmp_path / "p.csv"))
    assert [i["row"] for i in again["issues"]] == [i["row"] for i in report["issues"]]


def test_save_pred_probs_refuses_unknown_suffix_and_inputs_before_fitting(cli, tutorial_dir, tmp_path, fits):
    data = tutorial_dir / "train.csv"
    bad = cli("health", data, *COMMON, "--save-pred-probs", tmp_path / "p.txt")
    assert bad.exit_code == 2 and "--save-pred-probs" in bad.stderr and ".npy, .csv, .parquet" in bad.stderr
    over = cli("health", data, *COMMON, "--save-pred-probs", data)
    assert over.exit_code == 2 and "input file" in over.stderr
    assert fits == [] and not (tmp_path / "p.txt").exists()


def test_save_pred_probs_of_an_ensemble_says_so(cli, tutorial_dir, tmp_path):
    saved = tmp_path / "mix.npy"
    result = cli(
        "find-issues", tutorial_dir / "train.csv", *COMMON, "-m", "logreg", "-m", "knn", "--save-pred-probs", saved
    )
    report = _json(result)
    assert "ensemble" in report["run"]["saved_pred_probs"]["what"] and "ensemble" in result.stderr
    assert np.load(saved).shape == (report["dataset"]["num_examples"], report["dataset"]["num_classes"])


def test_batch_fits_nothing_for_checks_without_pred_probs_and_saves_one_file_only(cli, tutorial_dir, tmp_path, fits):
    files = [tutorial_dir / "train.csv", tutorial_dir / "test.csv"]
    done = cli("audit", *files, "-l", "y", "--checks", "near_duplicate", "--out", tmp_path / "out")
    assert done.exit_code == 0, done.stderr
    assert fits == []
    for name in ("train", "test"):
        report = json.loads((tmp_path / "out" / name / "report.json").read_text())
        assert report["run"]["model"] is None
    saving = cli("audit", *files, "-l", "y", "--save-pred-probs", tmp_path / "p.npy")
    assert saving.exit_code == 2 and "one file" in saving.stderr and fits == []
