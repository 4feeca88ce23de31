"""How the findings were reached: the models compared, the confusion matrix, the unreliable banner."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cleanaudit.report.run_tables import MAX_CONFUSION_CLASSES, confusion_tables, model_table, unreliable_banner
from cleanaudit.workflows.confusion import confusion_summary

WEAK = {
    "baseline": {"log_loss": 0.6931, "accuracy": 0.503},
    "model": {"log_loss": 0.6925, "accuracy": 0.505},
    "weak_model": True,
    "leakage": [{"column": "y_copy", "accuracy": 1.0, "reason": "a one-to-one recoding of the label"}],
    "near_perfect": False,
    "reliable": False,
    "rule": "log loss at least 10% below the class prior's",
}


def test_banner_says_why_findings_are_unreliable():
    lines = unreliable_banner({"model_check": WEAK})
    text = "\n".join(lines)
    assert all(line.startswith("FINDINGS UNRELIABLE") for line in lines)
    assert "0.6925 vs 0.6931" in text and "0.5050 vs 0.5030" in text
    assert "y_copy" in text and "one-to-one" in text and "10% below" in text


def test_no_banner_when_reliable_or_absent():
    assert unreliable_banner({}) == []
    assert unreliable_banner({"model_check": dict(WEAK, reliable=True)}) == []


def test_models_sorted_by_log_loss_with_the_chosen_marked():
    run = {
        "model": "auto:hist-gb",
        "model_candidates": [
            {"model": "logreg", "log_loss": 0.8, "accuracy": 0.7, "seconds": 1.0, "error": None},
            {"model": "broken", "log_loss": None, "accuracy": None, "seconds": 0.1, "error": "boom"},
            {"model": "hist-gb", "log_loss": 0.4, "accuracy": 0.9, "seconds": 3.0, "error": None},
            {"model": "random-forest", "log_loss": 0.5, "accuracy": 0.85, "seconds": 2.0, "error": None},
        ],
    }
    table = model_table(run)
    assert [row[0] for row in table.rows] == ["hist-gb (chosen)", "random-forest", "logreg", "broken"]
    assert table.rows[-1][1] == "failed"
    assert model_table({"model": "logreg"}) is None


def test_confusion_table_names_classes_and_accuracy():
    labels = np.array([0, 0, 1, 1, 2])
    pred_probs = np.eye(3)[[0, 1, 1, 1, 0]]
    (table,) = confusion_tables(confusion_summary(labels, pred_probs, ["cat", "dog", "eel"]))
    assert table.columns == ["given \\ predicted", "cat", "dog", "eel", "accuracy"]
    assert table.rows[0] == ["cat", 1, 1, 0, 0.5]
    assert table.rows[2] == ["eel", 1, 0, 0, 0.0]


def test_many_classes_give_accuracy_and_pairs_instead_of_a_matrix():
    k = MAX_CONFUSION_CLASSES + 5
    labels = np.arange(k * 4) % k
    predicted = labels.copy()
    predicted[:3] = 7  # rows of classes 0, 1, 2 predicted as 7
    tables = confusion_tables(confusion_summary(labels, np.eye(k)[predicted], [f"class {i}" for i in range(k)]))
    assert [t.title for t in tables] == ["Accuracy per class", "Most confused pairs"]
    assert tables[0].rows[0][0] == "class 0" and tables[0].rows[0][3] == 0.75
    assert {(r[0], r[1]) for r in tables[1].rows} == {
        ("class 0", "class 7"),
        ("class 1", "class 7"),
        ("class 2", "class 7"),
    }


def test_banner_in_markdown_and_terminal(capsys):
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.report.markdown import markdown_report
    from cleanaudit.report.terminal import print_tables

    ds = Dataset(
        frame=pd.DataFrame(), features=pd.DataFrame(), labels=np.array([0, 1]), class_names=["a", "b"], label_column="y"
    )
    banner = unreliable_banner({"model_check": WEAK})
    page = markdown_report("audit", ds, [], banner=banner)
    assert page.splitlines()[4].startswith("> **FINDINGS UNRELIABLE")
    assert "FINDINGS" not in markdown_report("audit", ds, [])
    print_tables(ds, [], banner=banner)
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("FINDINGS UNRELIABLE") and "y_copy" in out
