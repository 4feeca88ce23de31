"""The reference pipeline is one flag away: ``--model logreg`` (with the default filter) reproduces it exactly.

The reference pipeline, written here from scikit-learn's and the reference's documentation: median
imputation and standard scaling of the numeric columns, one-hot encoding of the text-valued ones
(fitted inside each fold), ``LogisticRegression(max_iter=1000)``, ``cross_val_predict`` on
``StratifiedKFold(5, shuffle=True, random_state=0)``, then the reference's ``find_label_issues``
(its default ``prune_by_noise_rate``) and ``get_label_quality_scores`` (self-confidence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.engine import generate_noise_matrix_from_trace, generate_noisy_labels
from cleanaudit.status import ExitStatus

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
cleanlab_filter = pytest.importorskip("cleanlab.filter")
cleanlab_rank = pytest.importorskip("cleanlab.rank")


def _reference(frame: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = frame.drop(columns=[label])
    _, labels = np.unique(frame[label].to_numpy(), return_inverse=True)
    text = features.select_dtypes(exclude="number").columns.tolist()
    numbers = [c for c in features.columns if c not in text]
    encode = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), text),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=1000))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    pred_probs = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")
    return cleanlab_filter.find_label_issues(labels, pred_probs), cleanlab_rank.get_label_quality_scores(
        labels, pred_probs
    )


def _with_noise(frame: pd.DataFrame, label: str, rate: float = 0.2) -> pd.DataFrame:
    values, codes = np.unique(frame[label].to_numpy(), return_inverse=True)
    k = len(values)
    matrix = generate_noise_matrix_from_trace(
        k, k * (1 - rate), py=np.bincount(codes) / len(codes), valid_noise_matrix=True, seed=0
    )
    np.random.seed(0)
    return frame.assign(**{label: values[generate_noisy_labels(codes, matrix)]})


def _iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    return data.frame.assign(target=data.target_names[data.target])


def _penguins() -> pd.DataFrame:  # numeric and text-valued columns
    frame = pd.read_csv(SAMPLE / "real" / "penguins.csv").dropna()
    return frame.drop(columns=["year"])


@pytest.mark.parametrize(("make", "label"), [(_iris, "target"), (_penguins, "species")])
def test_model_logreg_reproduces_the_reference_pipeline(cli, tmp_path, make, label):
    frame = _with_noise(make(), label)
    path = tmp_path / "noisy.csv"
    frame.to_csv(path, index=False)
    expected_flags, expected_quality = _reference(pd.read_csv(path), label)
    assert 5 < expected_flags.sum() < len(frame) // 2  # the comparison has issues to agree on

    out = tmp_path / "out"
    run = cli(
        "find-issues", path, "-l", label, "--model", "logreg", "--filter-by", "prune_by_noise_rate", "--out", out, "-q"
    )
    assert run.exit_code == ExitStatus.OK, run.stderr
    found = pd.read_csv(out / "issues.csv").set_index("row").sort_index()
    assert found.index.tolist() == list(range(len(frame)))
    assert np.array_equal(found["is_label_issue"].to_numpy(), expected_flags)
    # the same scikit-learn fits on this machine: equal up to the order of float sums
    np.testing.assert_allclose(found["label_quality"].to_numpy(), expected_quality, rtol=0, atol=1e-9)
