"""--annotators in the workflows: the model trained on the majority vote, CROWDLAB's consensus and annotator table,
find-issues, health, audit and clean --strategy consensus, on tables whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from annotator_cases import ACCURACY, CLASSES, crowd_table

from cleanaudit.events import CollectingEvents
from cleanaudit.workflows.annotator_result import DOUBTFUL_BELOW, AnnotatedHealthResult, AnnotatorIssuesResult
from cleanaudit.workflows.audit import AuditRequest, run_audit
from cleanaudit.workflows.clean_run import CleanRequest, run_clean
from cleanaudit.workflows.find_issues import FindIssuesRequest, run_find_issues
from cleanaudit.workflows.health import HealthRequest, run_health


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    frame, truth = crowd_table()
    path = tmp_path_factory.mktemp("crowd") / "crowd.csv"
    frame.to_csv(path, index=False)
    return path, frame, truth


@pytest.fixture(scope="module")
def found(table) -> AnnotatorIssuesResult:
    path, _, _ = table
    request = FindIssuesRequest(path, annotators="ann,bob,cyd,dee", id_column="key", model="logreg", cv=3)
    result = run_find_issues(FindIssuesRequest(**{**request.__dict__, "active_learning": 5}))
    assert isinstance(result, AnnotatorIssuesResult)
    return result


def test_the_careless_annotator_is_ranked_last(found):
    table = found.crowd.annotators
    assert [a["annotator"] for a in table][0] == "dee"
    assert {a["annotator"] for a in table} == set(ACCURACY)
    assert table[0]["annotator_quality"] < min(a["annotator_quality"] for a in table[1:]) - 0.1
    assert all(a["worst_class"] in CLASSES for a in table)


def test_the_consensus_beats_the_majority_vote(found, table):
    _, _, truth = table
    crowd, rows = found.crowd, found.source.row_positions
    names = np.array(crowd.class_names, dtype=object)
    consensus_accuracy = np.mean(names[crowd.consensus] == truth[rows])
    vote_accuracy = np.mean(names[crowd.majority] == truth[rows])
    assert consensus_accuracy > vote_accuracy + 0.03
    # The doubtful consensus labels are wrong far more often than the others.
    wrong = names[crowd.consensus] != truth[rows]
    assert wrong[crowd.doubtful].mean() > 3 * wrong[~crowd.doubtful].mean()


def test_the_model_is_trained_on_the_majority_vote_and_notes_say_so(found):
    kinds = [n.kind for n in found.notes]
    assert "consensus" in kinds and "no_annotations" in kinds
    said = next(n.message for n in found.notes if n.kind == "consensus")
    assert "cross-validated on the annotators' majority vote" in said
    assert found.run["annotators"] == {"columns": ["ann", "bob", "cyd", "dee"], "trained_on": "majority vote"}
    assert found.context.payload["not_analysed"]["rows"][0] == {
        "row": 7,
        "id": "k007",
        "label": None,
        "reason": "no_annotations",
    }


def test_find_issues_payload_names_classes_and_annotators(found):
    payload = found.context.payload
    assert payload["rule"] == f"consensus_quality_score < {DOUBTFUL_BELOW:g}"
    assert payload["num_issues"] == len(payload["issues"]) == int((found.crowd.quality < 0.5).sum()) > 0
    issue = payload["issues"][0]
    assert set(issue) == {
        "row",
        "id",
        "consensus_label",
        "consensus_quality_score",
        "annotator_agreement",
        "num_annotations",
        "majority_vote",
        "annotators",
    }
    assert issue["consensus_label"] in CLASSES and set(issue["annotators"]) == set(ACCURACY)
    assert issue["num_annotations"] == sum(v is not None for v in issue["annotators"].values())
    scores = [i["consensus_quality_score"] for i in payload["issues"]]
    assert scores == sorted(scores) and max(scores) < 0.5
    assert set(payload["consensus"]) >= {"method", "quality_method", "annotator_weights", "model_weight"}
    listed = payload["active_learning"]
    assert len(listed) == 5
    assert [r["active_learning_score"] for r in listed] == sorted(r["active_learning_score"] for r in listed)
    assert np.isclose(listed[0]["active_learning_score"], found.crowd.active_learning.min())


def test_per_row_columns_carry_the_consensus(found):
    columns = found.per_row_frame_columns()
    n = found.source.num_examples
    for name in ("consensus_label", "consensus_quality_score", "annotator_agreement", "num_annotations", "ann"):
        assert len(columns[name]) == n
    assert set(columns["consensus_label"]) <= set(CLASSES)
    assert columns["is_label_issue"].sum() == found.num_issues


def test_the_consensus_equals_the_references(found, table):
    cleanlab = pytest.importorskip("cleanlab.multiannotator")
    crowd = found.crowd
    matrix, _ = found.source.annotations.matrix(found.source.row_positions, crowd.class_names)
    reference = cleanlab.get_label_quality_multiannotator(matrix, found.context.pred_probs, verbose=False)
    quality = reference["label_quality"]
    assert crowd.consensus.tolist() == quality["consensus_label"].tolist()
    assert np.allclose(crowd.quality, quality["consensus_quality_score"], rtol=0, atol=1e-9)
    stats = reference["annotator_stats"]
    assert [a["annotator"] for a in crowd.annotators] == [crowd.columns[i] for i in stats.index]
    assert [a["worst_class"] for a in crowd.annotators] == [crowd.class_names[k] for k in stats["worst_class"]]
    assert np.allclose([a["annotator_quality"] for a in crowd.annotators], stats["annotator_quality"], atol=1e-9)


def test_the_same_seed_gives_the_same_consensus(table):
    path, _, _ = table
    pred_probs = np.full((299, 3), 1 / 3)  # every vote tie is left to the tie-breaks, the last one random
    runs = [
        run_find_issues(FindIssuesRequest(path, annotators="ann,bob,cyd,dee", pred_probs=pred_probs, seed=3))
        for _ in range(2)
    ]
    assert runs[0].crowd.consensus.tolist() == runs[1].crowd.consensus.tolist()
    assert runs[0].crowd.majority.tolist() == runs[1].crowd.majority.tolist()


def test_health_scores_the_consensus_and_adds_the_annotators(table, found):
    path, _, _ = table
    result = run_health(HealthRequest(path, annotators="ann,bob,cyd,dee", pred_probs=found.context.pred_probs))
    assert isinstance(result, AnnotatedHealthResult)
    payload = result.context.payload
    assert 0 < payload["health_score"] <= 1 and {c["class"] for c in payload["classes"]} == set(CLASSES)
    assert payload["annotators"][0]["annotator"] == "dee"
    assert result.dataset.labels.tolist() == found.crowd.consensus.tolist()


def test_audit_checks_the_consensus_and_reports_the_annotators(table, found):
    path, _, _ = table
    events = CollectingEvents()
    request = AuditRequest(path, annotators="ann,bob,cyd,dee", pred_probs=found.context.pred_probs)
    result = run_audit(request, events=events)
    assert result.annotators is not None and result.dataset.labels.tolist() == found.crowd.consensus.tolist()
    payload = result.context.payload
    assert payload["annotators"][0]["annotator"] == "dee" and "label" in [s["issue_type"] for s in payload["summary"]]
    assert any(n.kind == "consensus" for n in events.notes)


def test_clean_writes_the_consensus_beside_every_column(table, found, tmp_path):
    path, frame, _ = table
    output = tmp_path / "consensus.csv"
    request = CleanRequest(
        path, annotators="ann,bob,cyd,dee", strategy="consensus", output=output, pred_probs=found.context.pred_probs
    )
    before = path.read_bytes()
    result = run_clean(request)
    assert path.read_bytes() == before  # the input is untouched
    written = pd.read_csv(output, keep_default_na=False)
    assert list(written.columns) == [*frame.columns, "consensus_label"]
    assert len(written) == len(frame) and written.loc[7, "consensus_label"] == ""
    analysed = found.source.row_positions
    names = np.array(found.crowd.class_names, dtype=object)
    assert written["consensus_label"].to_numpy()[analysed].tolist() == names[found.crowd.consensus].tolist()
    assert written["ann"].tolist() == frame["ann"].fillna("").tolist()
    manifest = pd.read_csv(tmp_path / "consensus.manifest.csv")
    assert manifest.loc[7, "action"] == "not_analysed" and len(manifest) == len(frame)
    assert result.context.payload["num_differs_from_majority_vote"] == int(
        (found.crowd.consensus != found.crowd.majority).sum()
    )


def test_a_class_no_vote_names_is_left_out_with_its_annotations(tmp_path):
    frame, _ = crowd_table(n=150, seed=2)
    frame.loc[[0, 1], "dee"] = "emu"  # the careless rater alone uses a fourth class
    path = tmp_path / "emu.csv"
    frame.to_csv(path, index=False)
    result = run_find_issues(FindIssuesRequest(path, annotators="ann,bob,cyd,dee", model="logreg", cv=3))
    assert result.dataset.class_names == list(CLASSES)
    said = {n.kind: n.message for n in result.notes}
    assert "rare_classes" in said and "of class(es) 'emu', which the analysis left out" in said["annotations_left_out"]
    shown = [labels["dee"] for labels in result.crowd.labels[:2]]
    assert "emu" in shown  # shown as given (a row whose tied vote went to 'emu' is left out as a rare class)
