"""Are the planted problems of the multi-label and multi-annotator samples findable? (issue 13)

Runs the REFERENCE implementation (cleanlab 2.9.0, the `test`/`bench` extra) on the two sample
tables and compares what it finds with their truth files. Not part of the test run::

    python bench/sample_multilabel_annotators.py              # both tables
    python bench/sample_multilabel_annotators.py --only multilabel
    python bench/sample_multilabel_annotators.py --data DIR   # tables regenerated into DIR/multilabel, DIR/annotators

Multi-label (`multilabel/ticket_tags.csv`): out-of-fold `pred_probs` from a one-vs-rest logistic
regression (`OneVsRestClassifier`, `cross_val_predict(method="predict_proba")`, `KFold(5, shuffle=True,
random_state=0)`), then `cleanlab.multilabel_classification.filter.find_label_issues` with its defaults;
precision and recall of the flagged rows against the rows with a planted error.

Multiple annotators (`annotators/ticket_raters.csv`): the majority vote
(`cleanlab.multiannotator.get_majority_vote_label`), out-of-fold `pred_probs` of a logistic regression
trained on it (`StratifiedKFold(5, shuffle=True, random_state=0)`), then
`cleanlab.multiannotator.get_label_quality_multiannotator` with its defaults: the accuracy of its
consensus and of the majority vote against the true labels, and the raters ranked by annotator_quality.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
SEED = 0


def features(frame: pd.DataFrame, text: list[str]) -> tuple[pd.DataFrame, object]:
    """The table's feature columns (booleans as 0/1) and a preprocessing fitted inside each fold."""
    X = frame.copy()
    booleans = [c for c in X.columns if X[c].dtype == bool]
    X[booleans] = X[booleans].astype(float)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) and c not in text]
    numeric = [c for c in X.columns if c not in categorical + text]
    onehot = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")
    )
    blocks = [(onehot, categorical), (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)]
    blocks += [(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), column) for column in text]
    return X, make_column_transformer(*blocks)


def precision_recall(flagged: np.ndarray, planted: np.ndarray) -> tuple[float, float]:
    caught = int((flagged & planted).sum())
    return caught / max(int(flagged.sum()), 1), caught / max(int(planted.sum()), 1)


def check_multilabel(folder: Path) -> None:
    from cleanlab.multilabel_classification.filter import find_label_issues, find_multilabel_issues_per_class
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    table = pd.read_csv(folder / "ticket_tags.csv").fillna({"tags": ""})  # an empty field: no tag
    truth = pd.read_csv(folder / "ticket_tags_true_labels.csv", keep_default_na=False)
    assert (table["ticket_id"] == truth["ticket_id"]).all()
    classes = sorted({t for value in table["tags"] for t in value.split(",") if t})
    codes = {c: k for k, c in enumerate(classes)}

    def onehot(column: pd.Series) -> np.ndarray:
        out = np.zeros((len(column), len(classes)), dtype=int)
        for i, value in enumerate(column):
            out[i, [codes[t] for t in value.split(",") if t]] = 1
        return out

    given, true = onehot(table["tags"]), onehot(truth["true_tags"])
    planted = truth["error"].to_numpy() != ""
    X, prep = features(table.drop(columns=["ticket_id", "tags"]), text=["subject"])
    model = make_pipeline(prep, OneVsRestClassifier(LogisticRegression(max_iter=2000)))
    cv = KFold(n_splits=5, shuffle=True, random_state=SEED)
    pred_probs = cross_val_predict(model, X, given, cv=cv, method="predict_proba")
    labels = [list(np.flatnonzero(row)) for row in given]
    issues = find_label_issues(labels, pred_probs)
    precision, recall = precision_recall(issues, planted)
    scores = get_label_quality_scores(labels, pred_probs)
    lowest = np.zeros(len(scores), dtype=bool)
    lowest[np.argsort(scores, kind="stable")[: planted.sum()]] = True
    print(f"multi-label: {len(table)} rows, {len(classes)} classes, {planted.sum()} planted errors")
    print(
        f"  one-vs-rest logreg, 5-fold: per-tag accuracy vs given {np.mean((pred_probs > 0.5) == given):.3f}, "
        f"vs true {np.mean((pred_probs > 0.5) == true):.3f}; exact-set accuracy vs true "
        f"{np.mean(((pred_probs > 0.5) == true).all(axis=1)):.3f}"
    )
    print(f"  find_label_issues: flagged {issues.sum()}, precision {precision:.3f}, recall {recall:.3f}")
    for kind in sorted(set(truth["error"]) - {""}):
        rows = truth["error"].to_numpy() == kind
        print(f"    recall on {kind}: {(issues & rows).sum()} of {rows.sum()}")
    p_low, _ = precision_recall(lowest, planted)
    print(f"  get_label_quality_scores: precision of the {planted.sum()} lowest-scored rows {p_low:.3f}")
    per_class = find_multilabel_issues_per_class(labels, pred_probs)
    print("  | tag | true | given | planted changes | flagged | caught |")
    for k, tag in enumerate(classes):
        changed = given[:, k] != true[:, k]
        flagged = per_class[:, k]  # an N x K array, not the list its docstring says
        print(
            f"  | {tag} | {true[:, k].sum()} | {given[:, k].sum()} | {changed.sum()} | {flagged.sum()} "
            f"| {(flagged & changed).sum()} |"
        )


def check_annotators(folder: Path) -> None:
    from cleanlab.multiannotator import get_label_quality_multiannotator, get_majority_vote_label

    table = pd.read_csv(folder / "ticket_raters.csv")
    truth = pd.read_csv(folder / "ticket_raters_true_labels.csv")
    assert (table["ticket_id"] == truth["ticket_id"]).all()
    raters = [c for c in table.columns if c.startswith("rater_")]
    classes = sorted({v for v in table[raters].to_numpy().ravel() if isinstance(v, str)})
    codes = {c: k for k, c in enumerate(classes)}
    matrix = table[raters].apply(lambda column: column.map(codes)).to_numpy(dtype=float)
    true = truth["true_label"].map(codes).to_numpy()
    majority = get_majority_vote_label(matrix, verbose=False)
    X, prep = features(table.drop(columns=["ticket_id", *raters]), text=[])
    model = make_pipeline(prep, LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    pred_probs = cross_val_predict(model, X, majority, cv=cv, method="predict_proba")
    results = get_label_quality_multiannotator(matrix, pred_probs, verbose=False)
    quality, stats = results["label_quality"], results["annotator_stats"]
    consensus = quality["consensus_label"].to_numpy()
    counts = (~np.isnan(matrix)).sum(axis=1)
    print(f"multi-annotator: {len(table)} rows, {len(raters)} raters, {len(classes)} classes")
    print(f"  annotations per row: {dict(sorted(pd.Series(counts).value_counts().to_dict().items()))}")
    print(f"  logreg on the majority vote, 5-fold: accuracy vs true {np.mean(pred_probs.argmax(axis=1) == true):.3f}")
    votes = np.stack([(matrix == k).sum(axis=1) for k in range(len(classes))], axis=1)
    tied = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
    print(f"  {tied.sum()} rows with a tied vote")
    for name, labels in (("majority vote", majority), ("CROWDLAB consensus (best_quality)", consensus)):
        wrong = labels != true
        accuracy = 1 - wrong.mean()
        print(f"  {name}: accuracy vs true {accuracy:.3f}, wrong {wrong.sum()} ({(wrong & tied).sum()} on ties)")
    wrong = consensus != true
    order = np.argsort(quality["consensus_quality_score"].to_numpy(), kind="stable")
    lowest = np.zeros(len(order), dtype=bool)
    lowest[order[: wrong.sum()]] = True
    p_low, _ = precision_recall(lowest, wrong)
    print(
        f"  {wrong.sum()} rows with a wrong consensus; "
        f"precision of the {wrong.sum()} lowest consensus_quality_score {p_low:.3f}"
    )
    for rater in raters:
        k = raters.index(rater)
        labelled = ~np.isnan(matrix[:, k])
        accuracy = np.mean(matrix[labelled, k] == true[labelled])
        row = stats.loc[k]
        print(
            f"  {rater}: labelled {labelled.sum()}, accuracy vs true {accuracy:.3f}, "
            f"annotator_quality {row['annotator_quality']:.3f}, agreement_with_consensus "
            f"{row['agreement_with_consensus']:.3f}, worst_class {classes[int(row['worst_class'])]}"
        )
    ranked = [raters[int(k)] for k in stats.index]  # annotator_stats is sorted by quality, worst first
    print(f"  ranked by annotator_quality (worst first): {', '.join(ranked)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["multilabel", "annotators"])
    parser.add_argument("--data", type=Path, default=SAMPLE, help="folder holding multilabel/ and annotators/")
    args = parser.parse_args()
    if args.only in (None, "multilabel"):
        check_multilabel(args.data / "multilabel")
    if args.only in (None, "annotators"):
        check_annotators(args.data / "annotators")


if __name__ == "__main__":
    main()
