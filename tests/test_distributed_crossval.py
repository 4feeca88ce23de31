"""Out-of-fold pred_probs of a table on the cluster: folds from (seed, row) alone, each row by its fold's model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from cleanaudit.distributed.crossval import fit_fold_models, fold_of, predict_blocks  # noqa: E402
from cleanaudit.distributed.table import read_table_labels, run_table_find_issues  # noqa: E402
from cleanaudit.workflows.find_issues import FindIssuesRequest  # noqa: E402
from cleanaudit.workflows.result import NoteLog  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as connected:
            yield connected


def test_folds_depend_on_seed_and_position_only():
    rows = np.arange(100_000)
    folds = fold_of(rows, seed=7, cv=5)
    pieces = np.concatenate([fold_of(rows[a:b], seed=7, cv=5) for a, b in ((0, 333), (333, 50_000), (50_000, 100_000))])
    np.testing.assert_array_equal(folds, pieces)
    assert set(np.unique(folds)) == set(range(5))
    assert np.abs(np.bincount(folds) / len(rows) - 0.2).max() < 0.01  # folds of even size
    assert (fold_of(rows, seed=8, cv=5) != folds).mean() > 0.7


def _wine(tmp_path, *, standardised: bool = False) -> str:
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True).frame.rename(columns={"target": "y"})
    if standardised:  # a bare SGDClassifier (no scaler in a module:Class spec) needs features of one scale
        features = data.columns.drop("y")
        data[features] = (data[features] - data[features].mean()) / data[features].std()
    path = tmp_path / "wine.parquet"
    data.to_parquet(path, row_group_size=20)
    return str(path)


SGD = "sklearn.linear_model:SGDClassifier"  # has partial_fit: streamed over the partitions


@pytest.mark.parametrize("model", ["logreg", "auto", SGD])
def test_each_row_is_predicted_by_its_own_folds_model(tmp_path, client, model):
    params = {"loss": "log_loss", "random_state": 0} if model == SGD else None
    data = _wine(tmp_path, standardised=model == SGD)
    request = FindIssuesRequest(data, label="y", model=model, cv=3, seed=1, model_params=params)
    read = read_table_labels(request, client)
    log = NoteLog()
    fit = fit_fold_models(read, request, client, log)
    probs = predict_blocks(read, fit, client)
    assert probs.chunks[0] == tuple(read.block_rows)
    probs = probs.compute()
    assert probs.shape == (178, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    frame = pd.read_parquet(request.paths[0])
    folds = fold_of(np.arange(178), seed=1, cv=3)
    for fold, (pre, est) in enumerate(fit.models):
        rows = np.flatnonzero(folds == fold)
        own = est.predict_proba(pre.transform(frame[fit.feature_columns].iloc[rows]))
        np.testing.assert_allclose(probs[rows], own, rtol=1e-12)
        other = fit.models[(fold + 1) % 3]
        assert not np.allclose(
            probs[rows], other[1].predict_proba(other[0].transform(frame[fit.feature_columns].iloc[rows]))
        )
    accuracy = (probs.argmax(axis=1) == read.dataset.labels).mean()
    assert accuracy > 0.85  # out-of-fold on wine: a working model, not noise
    assert {n.kind for n in log.notes} >= {"table_sample", "table_training"}
    assert fit.streamed == (model == SGD)
    if model == "auto":  # the local choice, made on the training sample, and said as locally
        assert fit.record["model"].startswith("auto:") and len(fit.record["model_candidates"]) >= 3
        assert "model_selection" in {n.kind for n in log.notes}


def test_a_capped_sample_trains_models_without_partial_fit(tmp_path, client):
    request = FindIssuesRequest(_wine(tmp_path), label="y", model="logreg", cv=3)
    result = run_table_find_issues(request, client, train_rows=90)
    record = result.run["table_training"]
    assert record["rows_available"] == 178 and record["rows_used"] < 178 and not record["streamed"]
    training = next(n for n in result.notes if n.kind == "table_training")
    assert f"{record['rows_used']:,} of 178 rows" in training.message
    assert result.run["pred_probs_source"] == "cross-validation" and result.run["cv_folds"] == 3
