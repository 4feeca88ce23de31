"""Sanity check of the support-tickets sample: is it a useful label-error demo?

Fits 5-fold cross-validated models on the training file (given, noisy labels), reports their
accuracy against the given and the true labels, and how many of the planted errors the reference
implementation's ``find_label_issues`` catches on those out-of-sample probabilities. Needs the
test extra (cleanlab); not part of the test run::

    python bench/sample_data_quality.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parents[1] / "sample_data"
CATEGORICAL = ["channel", "plan", "region"]
BOOLEAN = ["has_order_number", "mentions_error_code"]


def models(numeric: list[str]) -> dict[str, object]:
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"), onehot)
    hgb = make_pipeline(
        make_column_transformer((cat, CATEGORICAL), remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=0),
    )
    hgb_shallow = make_pipeline(
        make_column_transformer((cat, CATEGORICAL), remainder="passthrough"),
        HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, random_state=0),
    )
    logreg = make_pipeline(
        make_column_transformer(
            (cat, CATEGORICAL),
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric + BOOLEAN),
        ),
        LogisticRegression(max_iter=2000),
    )
    return {
        "hist_gradient_boosting": hgb,
        "hist_gradient_boosting(max_depth=3,learning_rate=0.05)": hgb_shallow,
        "logistic_regression": logreg,
    }


def main() -> None:
    from cleanlab.filter import find_label_issues

    train = pd.read_csv(HERE / "support_tickets_train.csv")
    truth = pd.read_csv(HERE / "support_tickets_true_labels.csv")
    assert (train["ticket_id"] == truth["ticket_id"]).all()
    classes = sorted(train["team"].unique())
    given = train["team"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    true = truth["true_label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    planted = given != true
    X = train.drop(columns=["ticket_id", "team"])
    X[BOOLEAN] = X[BOOLEAN].astype(float)
    numeric = [c for c in X.columns if c not in CATEGORICAL + BOOLEAN]
    print(f"{len(train)} rows, {planted.sum()} planted label errors")
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for name, model in models(numeric).items():
        pred_probs = cross_val_predict(model, X, given, cv=cv, method="predict_proba")
        pred = pred_probs.argmax(axis=1)
        issues = find_label_issues(given, pred_probs)
        caught = (issues & planted).sum()
        print(
            f"{name}: CV accuracy vs given {np.mean(pred == given):.3f}, vs true {np.mean(pred == true):.3f}; "
            f"find_label_issues flags {issues.sum()}, precision {caught / max(issues.sum(), 1):.3f}, "
            f"recall {caught / planted.sum():.3f}"
        )
    # Ceiling: models trained on the true labels.
    for name in ("hist_gradient_boosting", "logistic_regression"):
        pred = cross_val_predict(models(numeric)[name], X, true, cv=cv)
        print(f"{name} trained on TRUE labels: CV accuracy vs true {np.mean(pred == true):.3f}")


if __name__ == "__main__":
    main()
