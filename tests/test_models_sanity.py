"""The model against the class-prior baseline, and leaky columns, on arrays and real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.models import sanity
from cleanaudit.models.sanity import check_model, is_weak, log_loss, scan_columns


def _table(loader: str) -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    return bunch.data, bunch.target.to_numpy()


def _oof(features: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    from cleanaudit.models.crossval import cross_val_pred_probs

    return cross_val_pred_probs(features, labels, model="logreg", cv=5, seed=0, jobs=1).pred_probs


def test_log_loss_clips_as_scikit_learn_does():
    from sklearn.metrics import log_loss as sk_log_loss

    labels = np.array([0, 1, 2, 1])
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5], [0.1, 0.8, 0.1]])
    assert log_loss(labels, probs) == pytest.approx(sk_log_loss(labels, probs, labels=[0, 1, 2]), rel=1e-9)


def test_baseline_is_the_class_prior():
    labels = np.array([0] * 30 + [1] * 10)
    check = check_model(labels, np.tile([0.75, 0.25], (40, 1)))
    assert check.baseline_accuracy == pytest.approx(0.75)
    assert check.baseline_log_loss == pytest.approx(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))
    assert check.model_log_loss == pytest.approx(check.baseline_log_loss)  # the prior itself is no better
    assert check.weak_model and not check.reliable


def test_weak_rule_on_figures():
    # the case: accuracy 0.505 vs a majority of 0.503, log loss barely below the prior's
    assert is_weak(0.690, 0.505, 0.6931, 0.503, 10_000)
    # a badly calibrated but accurate model (log loss above the prior's) is not weak
    assert not is_weak(0.80, 0.90, 0.6931, 0.50, 500)
    # a model that explains a fair share of the log loss is not weak even at the majority's accuracy
    assert not is_weak(0.45, 0.95, 0.56, 0.95, 5_000)
    # statistically above the majority but fixing only 3% of its errors: still weak
    assert is_weak(1.235, 0.399, 1.263, 0.381, 6_366)


@pytest.mark.parametrize("loader", ["load_breast_cancer", "load_wine"])
def test_informative_real_table_is_reliable(loader):
    features, labels = _table(loader)
    check = check_model(labels, _oof(features, labels), features)
    assert not check.weak_model and not check.near_perfect and check.leakage == []
    assert check.reliable and check.record()["reliable"] is True
    assert check.model_log_loss < 0.5 * check.baseline_log_loss
    assert check.notes() == []


@pytest.mark.parametrize("loader", ["load_breast_cancer", "load_digits"])
def test_random_labels_beside_real_features_are_a_weak_model(loader):
    features, real = _table(loader)
    labels = np.random.default_rng(0).permutation(real)
    check = check_model(labels, _oof(features, labels), features)
    assert check.weak_model and not check.reliable
    assert check.leakage == []
    (note,) = check.notes()
    assert note.kind == "weak_model"
    assert f"{check.model_log_loss:.4f} vs {check.baseline_log_loss:.4f}" in note.message
    assert f"{check.model_accuracy:.4f} vs {check.baseline_accuracy:.4f}" in note.message
    assert "unreliable" in note.message


def test_label_with_one_percent_noise_is_named_as_leakage():
    features, labels = _table("load_breast_cancer")
    rng = np.random.default_rng(1)
    copy = labels.copy()
    flip = rng.choice(len(labels), size=len(labels) // 100, replace=False)
    copy[flip] = 1 - copy[flip]
    features = features.assign(diagnosis_code=copy)
    check = check_model(labels, _oof(features, labels), features)
    assert [c.column for c in check.leakage] == ["diagnosis_code"]
    leak = check.leakage[0]
    assert leak.accuracy == pytest.approx(1 - len(flip) / len(labels), abs=0.005)
    assert leak.source == "values" and not check.reliable
    assert check.record()["leakage"][0]["column"] == "diagnosis_code"
    messages = [n.message for n in check.notes() if n.kind == "leakage"]
    assert any("diagnosis_code" in m and "--ignore diagnosis_code" in m for m in messages)


def test_missing_values_present_only_for_one_class_are_named():
    # like a cause of death recorded only for the dead: the values vary, whether they exist is the label
    features, labels = _table("load_breast_cancer")
    present = labels == 0
    features = features.assign(cause_days=np.where(present, np.arange(len(labels)) % 97, np.nan))
    (leak,) = check_model(labels, _oof(features.fillna(0), labels), features).leakage
    assert leak.column == "cause_days" and leak.source == "missing_values"
    assert leak.accuracy == pytest.approx(1.0)
    assert "whether it is missing" in leak.reason


def test_numeric_threshold_leak_is_named_and_a_good_feature_is_not():
    features, labels = _table("load_iris")  # petal width alone gets about 0.96: a good feature, not a leak
    rng = np.random.default_rng(0)
    leaked = features.assign(score=labels + rng.uniform(0.0, 0.9, len(labels)))
    names = [c.column for c in scan_columns(leaked, labels) if sanity.is_leak(c)]
    assert names == ["score"]
    best = scan_columns(features, labels)[0]
    assert best.column.startswith("petal") and 0.9 < best.accuracy < sanity.LEAK_ACCURACY


def test_near_perfect_accuracy_names_the_best_columns():
    features, labels = _table("load_breast_cancer")
    perfect = np.eye(2)[labels] * 0.98 + 0.01
    check = check_model(labels, perfect, features)
    assert check.near_perfect and not check.reliable and check.leakage == []
    (note,) = check.notes()
    assert note.kind == "leakage" and "near-perfect" in note.message
    assert list(note.columns) == [c.column for c in check.best_columns[:3]]
    # on few rows a perfect score says little: no near-perfect warning
    assert not check_model(labels[:100], perfect[:100]).near_perfect


def test_scan_samples_rows_and_skips_nested_values(monkeypatch):
    monkeypatch.setattr(sanity, "SCAN_ROWS", 50)
    labels = np.array([0, 1] * 100)
    frame = pd.DataFrame({"copy": labels, "vector": [[0.1, 0.2]] * 200, "noise": np.arange(200) % 7})
    scores = {c.column: c for c in scan_columns(frame, labels)}
    assert set(scores) == {"copy", "noise"}
    assert scores["copy"].accuracy == 1.0


def test_id_like_column_is_not_a_leak():
    labels = np.random.default_rng(0).integers(0, 2, 500)
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(500)], "n": np.arange(500)})
    assert not any(sanity.is_leak(c) for c in scan_columns(frame, labels))


def test_group_accuracy_is_leave_one_out():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 40))
        groups, labels = rng.integers(0, 6, n), rng.integers(0, 3, n)
        expected = []
        for i in range(n):
            others = (groups == groups[i]) & (np.arange(n) != i)
            counts = np.bincount(labels[others], minlength=3) if others.any() else np.bincount(labels, minlength=3)
            best = np.flatnonzero(counts == counts.max())
            expected.append((labels[i] in best) / len(best) if others.any() else float(labels[i] == best[0]))
        assert sanity._group_accuracy(groups, labels) == pytest.approx(np.mean(expected))


def test_record_keeps_the_contract_keys():
    labels = np.array([0, 1] * 200)
    record = check_model(labels, np.full((400, 2), 0.5)).record()
    assert {"baseline", "model", "weak_model", "leakage", "near_perfect", "reliable", "rule"} <= set(record)
    assert set(record["baseline"]) == set(record["model"]) == {"log_loss", "accuracy"}
    assert isinstance(record["rule"], str) and "10%" in record["rule"]
