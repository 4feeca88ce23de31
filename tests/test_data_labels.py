"""Rows whose label cannot be analysed: missing labels and rare classes are left out, listed, never lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.frame import dataset_from_frame
from cleanaudit.data.labels import full_file_columns, leave_out_rare_classes, not_analysed_payload, rare_classes
from cleanaudit.data.pred_probs import analysed_rows
from cleanaudit.errors import InputError, ModelError
from cleanaudit.models.crossval import cross_val_pred_probs


@pytest.fixture
def wine_with_rare_classes():
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "c0", 1: "c1", 2: "c2"})
    frame = pd.concat([frame[frame.target != "c2"], frame[frame.target == "c2"].head(3)], ignore_index=True)
    frame.loc[0, "target"] = "c3"  # one row
    frame.loc[[1, 2], "target"] = "c4"  # two rows
    return frame


def test_every_rare_class_is_listed_at_once(wine_with_rare_classes):
    ds = dataset_from_frame(wine_with_rare_classes, label="target")
    assert rare_classes(ds.labels, ds.class_names, 5) == [("c2", 3), ("c3", 1), ("c4", 2)]
    with pytest.raises(InputError) as excinfo:
        leave_out_rare_classes(ds, cv=5, on_rare_class="error")
    assert all(f"'{c}'" in str(excinfo.value) for c in ("c2", "c3", "c4")) and "\n" not in str(excinfo.value)
    kept, note = leave_out_rare_classes(ds, cv=5)
    assert kept.class_names == ["c0", "c1"] and kept.num_examples == ds.num_examples - 6
    assert note.kind == "rare_classes" and all(f"'{c}'" in note.message for c in ("c2", "c3", "c4"))
    record = not_analysed_payload(kept)
    assert record["count"] == 6 and record["by_reason"] == {"rare_class": 6}
    assert [r["row"] for r in record["rows"]] == [0, 1, 2, 130, 131, 132]
    assert [r["label"] for r in record["rows"]][:3] == ["c3", "c4", "c4"]
    assert kept.row_ids[:2].tolist() == [3, 4]  # analysed rows keep their input positions
    assert kept.features.shape[0] == kept.num_examples == len(kept.frame)


def test_crossval_names_every_small_class(wine_with_rare_classes):
    ds = dataset_from_frame(wine_with_rare_classes, label="target")
    with pytest.raises(ModelError) as excinfo:
        cross_val_pred_probs(ds.features, ds.labels, model="logreg", cv=5, class_names=ds.class_names)
    assert all(f"class '{c}'" in str(excinfo.value) for c in ("c2", "c3", "c4"))


def test_fewer_than_two_classes_left_is_refused():
    ds = dataset_from_frame(pd.DataFrame({"x": range(8), "y": ["a"] * 6 + ["b"] * 2}), label="y")
    with pytest.raises(InputError, match="leave 1 class"):
        leave_out_rare_classes(ds, cv=5)


def test_missing_labels_with_ids_and_no_label_at_all():
    frame = pd.DataFrame({"key": ["k0", "k1", "k2", "k3"], "x": [1.0, 2, 3, 4], "y": ["a", "", "b", None]})
    ds = dataset_from_frame(frame, label="y", id_column="key")
    assert ds.row_ids.tolist() == ["k0", "k2"] and ds.row_positions.tolist() == [0, 2]
    assert [r["id"] for r in not_analysed_payload(ds)["rows"]] == ["k1", "k3"]
    with pytest.raises(InputError, match="no labels"):
        dataset_from_frame(pd.DataFrame({"x": [1, 2], "y": [None, " "]}), label="y")


def test_per_row_columns_cover_every_input_row():
    ds = dataset_from_frame(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": ["a", None, "b", "a"]}), label="y")
    full = full_file_columns(ds, {"score": np.array([0.5, 0.25, 0.75]), "flag": np.array([True, False, True])})
    assert full["row"].tolist() == [0, 1, 2, 3] and full["analysed"].tolist() == [True, False, True, True]
    assert (
        np.isnan(full["score"][1]) and full["score"][3] == 0.75 and full["flag"].tolist() == [True, False, False, True]
    )
    assert full["not_analysed_reason"].tolist() == [None, "missing_label", None, None]


def test_given_pred_probs_of_every_input_row_are_cut_to_the_analysed_ones():
    probs = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    assert analysed_rows(probs, np.array([0, 2]), 2, 3).tolist() == [[0.9, 0.1], [0.2, 0.8]]
    assert analysed_rows(probs[[0, 2]], np.array([0, 2]), 2, 3).shape == (2, 2)  # already the analysed rows


def test_palmer_penguins_missing_sex_is_skipped():
    frame = pd.read_csv(Path(__file__).parents[1] / "sample_data" / "real" / "penguins.csv")  # palmerpenguins, CC0
    ds = dataset_from_frame(frame, label="sex")
    assert ds.num_examples == 333 and ds.not_analysed.count == 11
    assert ds.frame["sex"].notna().all() and ds.row_positions[3] == 4  # row 3 has no sex
