"""The core of `clean`: class merges, noise matrices, label-issue files, plans, cleaned tables, ensembles, models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit import engine
from cleanaudit.data.cleaned import cleaned_table, manifest_path, source_table
from cleanaudit.data.label_issues import read_label_issues
from cleanaudit.data.load import load_dataset
from cleanaudit.data.noise_matrix import read_noise_matrix, validate_noise_matrix
from cleanaudit.errors import ConfigError, InputError, ModelError
from cleanaudit.models.ensemble import Member, member_weights, mix_pred_probs
from cleanaudit.report.label_tables import find_issues_tables
from cleanaudit.workflows.clean import class_weights, detect_label_issues, detection_from_issues, plan_cleaning
from cleanaudit.workflows.labels import ensemble_issues_result
from cleanaudit.workflows.merging import parse_merges

NAMES = ["blue", "purple", "seafoam green", "yellow"]


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    """Tutorial train data in y_int order (as reference.json) and its 5-fold pred_probs."""
    frame = pd.read_csv(tutorial_dir / "train.csv")
    return frame, frame.y_int.to_numpy(), np.load(tutorial_dir / "pred_probs_cv5_seed0_logreg.npy")


# --- merges -------------------------------------------------------------------------------


def test_merge_maps_codes_and_sums_pred_probs():
    merge = parse_merges(["seafoam green=yellow"], NAMES)
    assert merge.class_names == ["blue", "purple", "yellow"]
    assert merge.labels(np.array([0, 1, 2, 3])).tolist() == [0, 1, 2, 2]
    probs = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
    merged = merge.pred_probs(probs)
    assert merged.dtype == np.float32 and merged[0].tolist() == pytest.approx([0.1, 0.2, 0.7])
    assert merge.describe() == ["seafoam green → yellow"]


def test_merge_chains_and_names_with_equals_signs():
    assert parse_merges(["a=b", "b=c"], ["a", "b", "c", "d"]).class_names == ["c", "d"]
    assert parse_merges(["x=1=y"], ["x=1", "y", "z"]).class_names == ["y", "z"]
    assert parse_merges(["2=3"], [0, 1, 2, 3]).class_names == [0, 1, 3]
    assert not parse_merges([], NAMES).active


@pytest.mark.parametrize(
    "items, needle",
    [
        (["seafoam green"], "FROM=TO"),
        (["=yellow"], "FROM=TO"),
        (["seafoam=yellow"], "did you mean 'seafoam green'"),
        (["blue=blue"], "into itself"),
        (["blue=purple", "blue=yellow"], "two classes"),
        (["blue=purple", "purple=blue"], "cycle"),
        (["blue=purple", "seafoam green=purple", "yellow=purple"], "single class"),
    ],
)
def test_bad_merges(items, needle):
    with pytest.raises(ConfigError, match="--merge") as err:
        parse_merges(items, NAMES)
    assert needle in str(err.value)


# --- noise matrices -----------------------------------------------------------------------


def test_noise_matrix_validation():
    good = np.array([[0.9, 0.2], [0.1, 0.8]])
    assert validate_noise_matrix(good, 2).tolist() == good.tolist()
    for matrix, needle in [
        (np.eye(3), "shape 3 x 3"),
        (np.array([[0.9, 0.2], [0.2, 0.8]]), "column 0 sums"),
        (np.array([[0.5, 0.6], [0.5, 0.4]]), "trace 0.9"),
        (np.array([[1.2, 0.2], [-0.2, 0.8]]), "outside [0, 1]"),
    ]:
        with pytest.raises(InputError, match="noise matrix") as err:
            validate_noise_matrix(matrix, 2)
        assert needle in str(err.value)


def test_noise_matrix_csv_named_by_class_is_reordered(tmp_path):
    path = tmp_path / "nm.csv"
    path.write_text(",b,a\nb,0.8,0.1\na,0.2,0.9\n")
    assert read_noise_matrix(path, ["a", "b"]).tolist() == [[0.9, 0.2], [0.1, 0.8]]
    np.savetxt(tmp_path / "plain.csv", [[0.9, 0.2], [0.1, 0.8]], delimiter=",")
    assert read_noise_matrix(tmp_path / "plain.csv", ["a", "b"])[0, 0] == 0.9
    np.save(tmp_path / "nm.npy", np.array([[0.9, 0.2], [0.1, 0.8]]))
    assert read_noise_matrix(tmp_path / "nm.npy", ["a", "b"]).shape == (2, 2)


# --- detection and plans ------------------------------------------------------------------


def test_detection_matches_clean_learning_and_reference(tutorial, reference):
    from cleanaudit.learning import CleanLearning

    frame, labels, probs = tutorial
    detection = detect_label_issues(labels, probs)
    expected = reference["on_pred_probs_cv5_seed0_logreg"]["clean_learning_min_examples_per_class_10"]
    assert int(detection.is_issue.sum()) == expected["num_label_issues"] == 53
    assert sorted(np.flatnonzero(detection.is_issue).tolist()) == sorted(expected["label_issue_indices"])

    learner = CleanLearning(seed=0).fit(frame[["x1", "x2"]].to_numpy(), labels, pred_probs=probs)
    issues = learner.get_label_issues()
    assert issues["is_label_issue"].to_numpy().tolist() == detection.is_issue.tolist()
    plan = plan_cleaning(labels, NAMES, detection)
    assert np.allclose(plan.train_weight, issues["sample_weight"].to_numpy())
    assert np.allclose(detection.noise_matrix, learner.noise_matrix_)


def test_plan_drop_relabel_weight():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.45, 0.55], [0.1, 0.9]])
    detection = detection_from_issues(
        np.array([False, True, True, False]),
        "test",
        labels=labels,
        pred_probs=probs,
        noise_matrix=np.array([[0.8, 0.25], [0.2, 0.75]]),
    )
    drop = plan_cleaning(labels, ["a", "b"], detection)
    assert drop.actions.tolist() == ["kept", "removed", "removed", "kept"]
    assert drop.payload()["removed"] == 2 and drop.payload()["kept"] == 2
    assert drop.train_weight.tolist() == pytest.approx([1.25, 0.0, 0.0, 1 / 0.75])

    relabel = plan_cleaning(labels, ["a", "b"], detection, strategy="relabel", relabel_threshold=0.7)
    # row 1: p(b)=0.8 >= 0.7 -> relabelled; row 2: predicted b is its own label -> removed
    assert relabel.actions.tolist() == ["kept", "relabelled", "removed", "kept"]
    assert relabel.new_labels.tolist() == [0, 1, 1, 1] and relabel.keep.tolist() == [True, True, False, True]
    assert "relabelled (p=0.800" in relabel.reasons[1]

    weight = plan_cleaning(labels, ["a", "b"], detection, strategy="weight")
    assert weight.keep.all() and weight.count("weighted") == 4
    assert weight.sample_weight.tolist() == pytest.approx([1.25, 1.25, 1 / 0.75, 1 / 0.75])
    manifest = weight.manifest(np.array(["r0", "r1", "r2", "r3"]))
    assert list(manifest.columns) == [
        "row",
        "id",
        "action",
        "given_label",
        "suggested_label",
        "label_quality",
        "is_label_issue",
        "sample_weight",
        "reason",
    ]
    assert [None if pd.isna(v) else v for v in manifest.suggested_label] == [None, "b", None, None]


def test_weight_strategy_needs_a_noise_matrix():
    detection = detection_from_issues(np.array([True, False]), "f", labels=np.array([0, 1]))
    with pytest.raises(ConfigError, match="--noise-matrix"):
        plan_cleaning(np.array([0, 1]), ["a", "b"], detection, strategy="weight")
    with pytest.raises(ConfigError, match="--strategy"):
        plan_cleaning(np.array([0, 1]), ["a", "b"], detection, strategy="nuke")


def test_class_weights_are_floored():
    assert class_weights(np.array([[0.0, 0.5], [1.0, 0.5]])).tolist() == [1000.0, 2.0]


# --- cleaned tables -----------------------------------------------------------------------


def test_cleaned_table_keeps_cell_text_and_types(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,x,y\n007,1,a\n008,,b\n009,3,b\n")
    frame = pd.read_csv(path)
    text = source_table(frame, [path], tmp_path / "out.csv")
    out = cleaned_table(
        text, "y", ["a", "b", "b"], ["b", "b", "b"], np.array([True, False, True]), np.array([1.5, 2.0, 2.5])
    )
    assert out.to_dict("list") == {
        "id": ["007", "009"],
        "x": ["1", "3"],
        "y": ["b", "b"],
        "sample_weight": ["1.5", "2.5"],
    }
    typed = cleaned_table(frame, "y", ["a", "b", "b"], ["b", "b", "a"], np.array([True, True, True]))
    assert typed.y.tolist() == ["b", "b", "a"] and typed.x.dtype == frame.x.dtype
    ints = pd.DataFrame({"y": [0, 1, 2]})
    assert cleaned_table(ints, "y", [0, 1, 2], [0, 2, 2], np.ones(3, bool)).y.dtype == ints.y.dtype
    with pytest.raises(ConfigError, match="sample_weight"):
        cleaned_table(out, "y", ["b", "b"], ["b", "b"], np.ones(2, bool), np.ones(2))
    assert manifest_path(Path("a/cleaned.parquet")) == Path("a/cleaned.manifest.csv")


# --- label-issues files -------------------------------------------------------------------


def _dataset(tmp_path, ids=True):
    path = tmp_path / "d.csv"
    pd.DataFrame({"k": ["r1", "r2", "r3"], "x": [1.0, 2.0, 3.0], "y": ["a", "b", "b"]}).to_csv(path, index=False)
    return load_dataset([path], label="y", id_column="k" if ids else None)


def test_label_issues_by_id_by_row_and_listed_only(tmp_path):
    ds = _dataset(tmp_path)
    by_id = tmp_path / "by_id.csv"
    pd.DataFrame(
        {
            "id": ["r3", "r1"],
            "is_label_issue": [True, False],
            "given_label": ["b", "a"],
            "predicted_label": ["a", "a"],
            "label_quality": [0.1, 0.9],
        }
    ).to_csv(by_id, index=False)
    found = read_label_issues(by_id, ds)
    assert found.is_issue.tolist() == [False, False, True]
    assert found.suggested.tolist() == [0, -1, 0] and found.label_quality[2] == 0.1
    listed = tmp_path / "listed.csv"
    pd.DataFrame({"row": [1]}).to_csv(listed, index=False)
    assert read_label_issues(listed, _dataset(tmp_path, ids=False)).is_issue.tolist() == [False, True, False]


@pytest.mark.parametrize(
    "table, needle",
    [
        ({"id": ["r9"]}, "not in the data"),
        ({"row": [5]}, "not row positions"),
        ({"other": [1]}, "neither a 'row' nor an 'id'"),
        ({"row": [0], "given_label": ["b"]}, "other labels"),
        ({"row": [0, 0]}, "more than once"),
        ({"row": [0], "is_label_issue": ["maybe"]}, "True/False"),
    ],
)
def test_label_issues_that_do_not_match(tmp_path, table, needle):
    ds = _dataset(tmp_path, ids="id" in table)
    path = tmp_path / "issues.csv"
    pd.DataFrame(table).to_csv(path, index=False)
    with pytest.raises(InputError, match="label-issues file") as err:
        read_label_issues(path, ds)
    assert needle in str(err.value)


# --- ensembles ----------------------------------------------------------------------------


@pytest.mark.parametrize("weighting", ["accuracy", "uniform", "log_loss_search"])
def test_reported_weights_are_the_engines(tutorial_dir, weighting):
    labels = pd.read_csv(tutorial_dir / "train.csv").y_int.to_numpy()
    members = [
        np.load(tutorial_dir / f"pred_probs_cv3_{m}.npy") for m in ("logreg", "random_forest", "gradient_boosting")
    ]
    weights = member_weights(labels, members, weighting)
    assert weights.sum() == pytest.approx(1.0)
    expected = engine.get_label_quality_ensemble_scores(labels, members, weight_ensemble_members_by=weighting)
    custom = engine.get_label_quality_ensemble_scores(
        labels, members, weight_ensemble_members_by="custom", custom_weights=weights
    )
    assert np.allclose(expected, custom)
    result = ensemble_issues_result(
        labels, [Member(str(i), p) for i, p in enumerate(members)], NAMES, weighting=weighting
    )
    assert np.allclose(result.label_quality, expected)
    assert np.array_equal(result.is_issue, engine.find_label_issues(labels, mix_pred_probs(members, weights)))
    assert np.all(np.diff(result.label_quality[result.ranked_rows]) >= 0)
    assert f"({weighting} weights: 0 " in find_issues_tables(result)[0].caption


# --- saved models -------------------------------------------------------------------------


class NotTrusted:
    """A type cleanaudit must refuse to load."""


def test_saved_model_round_trip_and_refusals(tmp_path, tutorial_dir):
    sio = pytest.importorskip("skops.io")
    from cleanaudit.models.fit import fit_model
    from cleanaudit.models.persist import SavedModel, load_model, pred_probs_from_saved, save_model

    ds = load_dataset([tutorial_dir / "train.csv"], label="y", ignore=["y_int"])
    model, _ = fit_model("logreg", ds.features, ds.labels)
    save_model(
        SavedModel(model, ds.class_names, ["x1", "x2"], "y", "logreg", {"trained_on_sha256": ds.sha256}),
        tmp_path / "m.skops",
    )
    saved = load_model(tmp_path / "m.skops")
    assert saved.class_names == NAMES and saved.feature_columns == ["x1", "x2"] and saved.spec == "logreg"
    assert np.allclose(pred_probs_from_saved(saved, ds), model.predict_proba(ds.features))

    (tmp_path / "evil.skops").write_bytes(sio.dumps({"format": "cleanaudit-model", "model": NotTrusted()}))
    with pytest.raises(InputError, match="does not trust: .*NotTrusted"):
        load_model(tmp_path / "evil.skops")
    (tmp_path / "other.skops").write_bytes(sio.dumps([1, 2]))
    with pytest.raises(InputError, match="not a model file saved by cleanaudit"):
        load_model(tmp_path / "other.skops")
    (tmp_path / "junk.skops").write_text(json.dumps({"not": "zip"}))
    with pytest.raises(InputError, match="junk.skops"):
        load_model(tmp_path / "junk.skops")


def test_sample_weights_need_a_model_that_takes_them():
    from cleanaudit.models.fit import fit_model

    X = pd.DataFrame({"x": [0.0, 0.1, 1.0, 1.1]})
    with pytest.raises(ModelError, match="sample weights"):
        fit_model("knn", X, np.array([0, 0, 1, 1]), sample_weight=np.ones(4))
    model, _ = fit_model("logreg", X, np.array([0, 0, 1, 1]), sample_weight=np.array([1.0, 2.0, 1.0, 2.0]))
    assert model.predict(pd.DataFrame({"x": [1.05]})).tolist() == [1]


def test_rows_not_analysed_pass_through_clean_unchanged(tmp_path):
    from sklearn.datasets import load_iris

    from cleanaudit.workflows.clean_run import CleanRequest, run_clean

    frame = load_iris(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"}).astype(object)
    frame.loc[[3, 77], "target"] = None  # no label
    frame.loc[[10, 11], "target"] = "rare"  # a class too small for 5 folds
    frame.loc[[60, 61, 62], "target"] = "setosa"  # label errors
    data, output = tmp_path / "iris.csv", tmp_path / "clean.csv"
    frame.to_csv(data, index=False)
    result = run_clean(CleanRequest(data, label="target", model="logreg", output=output))
    payload = result.context.payload
    assert payload["passed_through"] == 4 and payload["not_analysed"]["by_reason"] == {
        "missing_label": 2,
        "rare_class": 2,
    }
    assert [n.kind for n in result.notes][:2] == ["missing_labels", "rare_classes"]
    cleaned = pd.read_csv(output)
    manifest = pd.read_csv(tmp_path / "clean.manifest.csv")
    assert len(manifest) == 150 and manifest["row"].tolist() == list(range(150))
    assert manifest.loc[[3, 10, 11, 77], "action"].tolist() == ["not_analysed"] * 4
    assert len(cleaned) == 150 - payload["removed"] == payload["rows_out"]
    assert cleaned["target"].isna().sum() == 2 and (cleaned["target"] == "rare").sum() == 2
    assert result.plan.keep.size == 146 and payload["removed"] >= 1
