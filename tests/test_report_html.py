"""The audit's HTML report: content, escaping, inline plots, and the page without matplotlib.

Built on hand-made results (no checks, no model), so it tests the renderer alone.
"""

from __future__ import annotations

import base64
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import CheckResult
from cleanaudit.checks.runner import ChecksResult, SkippedCheck
from cleanaudit.data.dataset import Dataset
from cleanaudit.report import plots
from cleanaudit.report.audit_report import audit_tables
from cleanaudit.report.envelope import build_envelope
from cleanaudit.report.html import PLOTS_HINT, render_html
from cleanaudit.workflows.audit_payload import audit_payload, estimated_joint, example_rows
from cleanaudit.workflows.projection import Projection, data_projection

NASTY = '<b>&"x'  # a class name that breaks a page that forgets to escape
CLASSES = ["ant", NASTY, "zebra"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
N = 90


BLOCKS = {
    "p",
    "div",
    "section",
    "header",
    "footer",
    "h1",
    "h2",
    "h3",
    "li",
    "dt",
    "dd",
    "td",
    "th",
    "tr",
    "figure",
    "figcaption",
    "title",
    "style",
}


class Page(HTMLParser):
    """The parts of a page the tests look at: text, tables, images, and every attribute."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.images: list[dict[str, str]] = []
        self.tables: list[dict] = []  # {"title": h3 before it, "header": [...], "rows": [(cells, tr class)]}
        self.headings: list[str] = []
        self.text_parts: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._row_class = ""
        self._heading: list[str] | None = None
        self._in_head_row = False
        self.feed(text)
        self.close()

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in BLOCKS:
            self.text_parts.append(" ")
        attrs = dict(attrs)
        self.attributes += [(tag, k, v or "") for k, v in attrs.items()]
        if tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            title = self.headings[-1] if self.headings else ""
            self.tables.append({"title": title, "header": [], "rows": []})
        elif tag == "thead":
            self._in_head_row = True
        elif tag == "tr":
            self._row, self._row_class = [], attrs.get("class", "")
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in BLOCKS:
            self.text_parts.append(" ")
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head_row:
                self.tables[-1]["header"] = self._row
            else:
                self.tables[-1]["rows"].append((self._row, self._row_class))
            self._row = None
        elif tag == "thead":
            self._in_head_row = False
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def table(self, title: str) -> dict:
        found = [t for t in self.tables if t["title"] == title]
        assert found, f"no table titled {title!r} in {[t['title'] for t in self.tables]}"
        return found[0]


# --- hand-made inputs --------------------------------------------------------------------------


def make_dataset(features: pd.DataFrame | None = None, n: int = N) -> Dataset:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 3
    if features is None:
        centers = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 3.0]])
        xy = centers[labels] + rng.normal(size=(n, 2))
        features = pd.DataFrame({"width <cm>": xy[:, 0], "height": xy[:, 1]})
    frame = features.assign(kind=[CLASSES[k] for k in labels])
    ids = np.array([f"id-{i}" for i in range(n)], dtype=object)
    return Dataset(
        frame=frame,
        features=features,
        labels=labels,
        class_names=list(CLASSES),
        label_column="kind",
        ids=ids,
        id_column="key",
        sha256="ab" * 32,
    )


def make_pred_probs(labels: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), size=len(labels))
    probs[np.arange(len(labels)), labels] += 1.0  # mostly agree with the given labels
    return probs / probs.sum(axis=1, keepdims=True)


def label_check(labels: np.ndarray, pred_probs: np.ndarray) -> CheckResult:
    quality = pred_probs[np.arange(len(labels)), labels]
    is_issue = quality < np.quantile(quality, 0.1)
    predicted = pred_probs.argmax(axis=1)
    return CheckResult(
        "label",
        is_issue,
        quality,
        0.87,
        info={
            "num_label_issues": int(is_issue.sum()),
            "classes_by_label_quality": [
                {"class": NASTY, "label_quality_score": 0.71},
                {"class": "zebra", "label_quality_score": 0.88},
                {"class": "ant", "label_quality_score": 0.95},
            ],
            "confident_joint": [[27, 2, 1], [3, 24, 3], [0, 1, 29]],
            "overlapping_classes": [
                {"class_a": NASTY, "class_b": "ant", "num_overlapping_examples": 5, "joint_probability": 0.056},
            ],
        },
        columns={
            "given_label": np.array([CLASSES[k] for k in labels], dtype=object),
            "predicted_label": np.array([CLASSES[k] for k in predicted], dtype=object),
            "label_quality": quality,
        },
    )


def make_result(dataset: Dataset, pred_probs: np.ndarray | None, *, with_label: bool = True) -> ChecksResult:
    n = dataset.num_examples
    results: dict[str, CheckResult] = {
        "null": CheckResult("null", np.zeros(n, bool), np.ones(n), 1.0, info={"average_null_score": 1.0}),
    }
    if with_label and pred_probs is not None:
        results["label"] = label_check(dataset.labels, pred_probs)
    outliers = np.zeros(n, bool)
    outliers[[4, 17]] = True
    results["outlier"] = CheckResult(
        "outlier",
        outliers,
        np.where(outliers, 0.1, 0.9),
        0.42,
        info={"issue_threshold": 0.2, "k": 10, "metric": "euclidean"},
    )
    results["class_imbalance"] = CheckResult(
        "class_imbalance", np.zeros(n, bool), np.ones(n), 0.33, info={"rarest_class": NASTY, "threshold": 0.1}
    )
    results["non_iid"] = CheckResult("non_iid", np.zeros(n, bool), np.ones(n), 0.61, info={"p_value": 0.61})
    skipped = [SkippedCheck("underperforming_group", "needs pred_probs and features")]
    return ChecksResult(n, list(dataset.class_names), results, skipped, {})


def render(dataset: Dataset, pred_probs: np.ndarray | None, result: ChecksResult) -> tuple[str, list[str]]:
    tables = audit_tables(result, dataset.ids, 5)
    envelope = build_envelope(
        "audit",
        dataset={
            "path": "data/<animals>.csv",
            "sha256": dataset.sha256,
            "num_examples": dataset.num_examples,
            "num_classes": dataset.num_classes,
            "class_names": list(dataset.class_names),
            "label_column": dataset.label_column,
            "id_column": dataset.id_column,
        },
        run={
            "model": "logreg",
            "cv_folds": 5,
            "seed": 7,
            "pred_probs_source": "cross-validation",
            "versions": {"numpy": "2.0"},
            "seconds": 1.5,
        },
        payload=audit_payload(result, dataset.ids, 5),
    )
    notes: list[str] = []
    # The workflow layer computes what the plots show (as cli/render.py does).
    projection, joint = data_projection(dataset), estimated_joint(result, dataset.labels, pred_probs)
    page = render_html(envelope, tables, result, dataset, pred_probs, notes.append, projection=projection, joint=joint)
    return page, notes


@pytest.fixture(scope="module")
def audit():
    dataset = make_dataset()
    pred_probs = make_pred_probs(dataset.labels)
    result = make_result(dataset, pred_probs)
    return dataset, pred_probs, result


@pytest.fixture(scope="module")
def rendered(audit) -> tuple[str, Page]:
    """The page of ``audit``, rendered once (plots take a second) and parsed."""
    page, _ = render(*audit)
    return page, Page(page)


@pytest.fixture()
def no_matplotlib(monkeypatch):
    """Make every ``import matplotlib…`` fail, as on an install without the report extra."""
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)


# --- content -------------------------------------------------------------------------------------


def test_page_is_one_complete_document(rendered):
    page, parsed = rendered
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.tags[:2] == ["html", "head"] and "style" in parsed.tags
    assert parsed.headings[0] == "cleanaudit audit report"
    assert {"Summary", "Dataset-level findings", "Plots", "Most severe examples per issue type"} <= set(parsed.headings)


def test_dataset_line_says_what_was_audited_and_how(rendered):
    text = rendered[1].text
    for expected in (
        "file data/<animals>.csv",
        "90 rows",
        f"3 classes (ant, {NASTY}, zebra)",
        "label column kind",
        "id column key",
        "model logreg",
        "5 folds",
        "seed 7",
        "sha256 abababababab",
    ):
        assert expected in text


def test_summary_table_has_every_check_and_dims_those_without_issues(audit, rendered):
    result, parsed = audit[2], rendered[1]
    summary = parsed.table("Issues found")
    assert summary["header"] == ["issue type", "issues", "score"]
    rows = {cells[0]: (cells, css) for cells, css in summary["rows"]}
    assert list(rows) == ["null", "label", "outlier", "class_imbalance", "non_iid"]
    for name, check in result.results.items():
        cells, css = rows[name]
        assert int(cells[1]) == check.num_issues
        assert float(cells[2]) == pytest.approx(check.summary_score, abs=1e-4)
        assert (css == "dim") == (check.num_issues == 0)
    assert rows["outlier"][0][1] == "2" and rows["null"][1] == "dim"


def test_skipped_checks_are_listed_with_their_reason(rendered):
    text = rendered[1].text
    assert "Skipped checks underperforming_group: needs pred_probs and features" in text


def test_dataset_level_findings(rendered):
    text = rendered[1].text
    assert "Label health 0.8700: about 13.0% of the labels look wrong (≈12 of 90 rows)" in text
    assert f"Rarest class {NASTY}, 33.0% of the rows" in text
    assert f"Overlapping classes {NASTY} / ant: 5 rows (joint probability 0.056)" in text
    assert "p-value 0.61 — no sign of order effects" in text


def test_examples_show_the_most_severe_rows_with_their_notes(audit, rendered):
    dataset, _, result = audit
    parsed = rendered[1]
    label = parsed.table("label issues")
    assert label["header"] == ["row", "id", "score", "given_label", "predicted_label"]
    expected = example_rows(result, "label", 5)
    assert [int(cells[0]) for cells, _ in label["rows"]] == expected.tolist()
    assert [cells[1] for cells, _ in label["rows"]] == [f"id-{r}" for r in expected]
    assert [cells[3] for cells, _ in label["rows"]] == [CLASSES[dataset.labels[r]] for r in expected]
    outlier = parsed.table("outlier issues")
    assert [cells[0] for cells, _ in outlier["rows"]] == ["4", "17"]
    assert "issue_threshold = 0.2 k = 10 metric = euclidean" in parsed.text
    assert f"num_label_issues = {result.results['label'].num_issues}" in parsed.text
    # Only issue types with issues get an examples table.
    assert "null issues" not in parsed.headings


def test_user_strings_are_escaped(rendered):
    page, parsed = rendered
    assert NASTY not in page  # never raw: it would open a <b> element and end attribute values
    assert "&lt;b&gt;&amp;&quot;x" in page and "data/&lt;animals&gt;.csv" in page
    # The page's own markup survives, and the names read back exactly as written.
    assert f"3 classes (ant, {NASTY}, zebra)" in parsed.text
    assert f"Rarest class {NASTY}," in parsed.text
    summary_cells = [cell for cells, _ in parsed.table("Issues found")["rows"] for cell in cells]
    assert NASTY not in summary_cells and "b" in parsed.tags


# --- self-contained -----------------------------------------------------------------------------


def test_nothing_is_loaded_from_the_network(rendered):
    page, parsed = rendered
    links = [(tag, name, value) for tag, name, value in parsed.attributes if name in ("src", "href")]
    assert all(not value.lower().startswith(("http://", "https://", "//")) for _, _, value in links)
    assert all(value.startswith("data:") for _, name, value in links if name == "src")
    assert "script" not in parsed.tags and "link" not in parsed.tags and "iframe" not in parsed.tags
    assert "@import" not in page and "url(" not in page


def test_plots_are_inline_png_images(rendered):
    import matplotlib  # noqa: F401  (the test extra installs it)

    parsed = rendered[1]
    titles = [img["alt"] for img in parsed.images]
    assert titles == [
        "The data in two dimensions",
        "Estimated joint of given and true labels",
        "Label quality per class",
        "Label quality scores",
    ]
    for img in parsed.images:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        png = base64.b64decode(img["src"][len(prefix) :], validate=True)
        assert png.startswith(PNG_SIGNATURE) and len(png) > 2_000
    assert PLOTS_HINT not in parsed.text


def test_without_matplotlib_the_page_is_written_and_says_how_to_add_plots(audit, no_matplotlib):
    assert plots.matplotlib_missing()
    page, notes = render(*audit)
    parsed = Page(page)
    assert parsed.images == [] and "data:image" not in page
    assert PLOTS_HINT in parsed.text
    assert len(notes) == 1 and PLOTS_HINT in notes[0] and "matplotlib" in notes[0]
    # Everything else is still there.
    assert parsed.table("Issues found")["rows"] and parsed.table("label issues")["rows"]


def test_plots_whose_inputs_are_absent_are_left_out():
    import matplotlib  # noqa: F401  (the test extra installs it)

    dataset = make_dataset(features=pd.DataFrame(index=range(N)))  # no feature columns
    result = make_result(dataset, None)  # no pred_probs, so no label check
    page, notes = render(dataset, None, result)
    parsed = Page(page)
    assert parsed.images == [] and notes == []
    assert "Plots" not in parsed.headings  # nothing to show, and nothing missing to install
    assert parsed.table("Issues found")["rows"]


def test_joint_heatmap_falls_back_to_pred_probs_without_a_label_check(audit):
    import matplotlib  # noqa: F401  (the test extra installs it)

    dataset, pred_probs, _ = audit
    result = make_result(dataset, pred_probs, with_label=False)
    parsed = Page(render(dataset, pred_probs, result)[0])
    assert [img["alt"] for img in parsed.images] == [
        "The data in two dimensions",
        "Estimated joint of given and true labels",
    ]


# --- the figures' inputs --------------------------------------------------------------------------


def test_estimated_joint_normalises_the_label_checks_confident_joint(audit):
    dataset, pred_probs, result = audit
    joint = estimated_joint(result, dataset.labels, pred_probs)
    cj = np.array(result.results["label"].info["confident_joint"], dtype=float)
    np.testing.assert_allclose(joint, cj / cj.sum())


def test_estimated_joint_from_pred_probs_sums_to_one(audit):
    dataset, pred_probs, _ = audit
    joint = estimated_joint(make_result(dataset, pred_probs, with_label=False), dataset.labels, pred_probs)
    assert joint.shape == (3, 3) and joint.sum() == pytest.approx(1.0)
    assert estimated_joint(make_result(dataset, None), dataset.labels, None) is None


def test_data_map_projects_mixed_features_with_pca_and_samples_big_data():
    import matplotlib  # noqa: F401  (the test extra installs it)

    rng = np.random.default_rng(3)
    n = 400
    features = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.normal(size=n),
            "colour": rng.choice(["red", "green", None], size=n),
        }
    )
    dataset = make_dataset(features, n=n)
    result = make_result(dataset, make_pred_probs(dataset.labels))
    first = plots.data_map_plot(result, dataset, data_projection(dataset, max_points=150))
    assert "principal components" in first.caption and "150 of 400 rows" in first.caption
    assert first.png.startswith(PNG_SIGNATURE)
    # Same data, same picture: the sample and the projection are deterministic.
    assert plots.data_map_plot(result, dataset, data_projection(dataset, max_points=150)).png == first.png


def test_data_map_uses_the_two_numeric_features_as_they_are(audit):
    import matplotlib  # noqa: F401  (the test extra installs it)

    dataset, _, result = audit
    plot = plots.data_map_plot(result, dataset, data_projection(dataset))
    assert "the two feature columns" in plot.caption and f"all {N} rows" in plot.caption
    assert "Circled: rows flagged as label issues" in plot.caption


# --- many classes: what is left out is said, plots stay legible -----------------------------------


def test_many_classes_page_says_what_was_left_out_and_draws_the_most_confused(audit):
    import dataclasses

    import matplotlib  # noqa: F401  (the test extra installs it)

    names = [f"class {i}" for i in range(300)]
    names[7] = NASTY
    dataset = dataclasses.replace(audit[0], class_names=names)
    result = make_result(dataset, make_pred_probs(dataset.labels))
    info = result.results["label"].info
    del info["confident_joint"]
    info.update(
        overlapping_classes=[
            {"class_a": names[i], "class_b": names[i + 1], "num_overlapping_examples": 3, "joint_probability": 0.01}
            for i in range(100)
        ],
        overlapping_pairs_total=44_850,
        overlapping_pairs_left_out=44_750,
        matrices_left_out=["noise_matrix", "inverse_noise_matrix", "confident_joint"],
        most_confused_classes={
            "classes": [names[3], NASTY, names[9]],
            "off_diagonal_share": 0.25,
            "joint": [[0.1, 0.02, 0.0], [0.01, 0.2, 0.0], [0.0, 0.03, 0.1]],
        },
    )
    parsed = Page(render(dataset, None, result)[0])
    assert "and 44,845 more pairs; report.json lists the largest" in parsed.text
    assert "of 44,850 class pairs, the 100 with the largest joint probability are kept (44,750 left out" in parsed.text
    assert "matrices (noise_matrix, inverse_noise_matrix, confident_joint) are left out of the report" in parsed.text
    assert "skipped underperforming_group" not in parsed.text  # listed under Skipped checks instead
    assert [img["alt"] for img in parsed.images][:2] == [
        "The data in two dimensions",
        "Estimated joint of the most confused classes",
    ]
    plot = plots.joint_plot(result, None, names)
    assert "Only the 3 of 300 classes" in plot.caption and "25% of the estimated label noise" in plot.caption
    del info["most_confused_classes"]  # never a 300 x 300 heatmap, nor a joint computed here
    assert (
        plots.joint_plot(result, estimated_joint(result, dataset.labels, make_pred_probs(dataset.labels)), names)
        is None
    )


def test_data_projection_is_made_in_the_workflow_and_only_drawn_in_report():
    import matplotlib  # noqa: F401  (the test extra installs it)

    rng = np.random.default_rng(5)
    n = 60
    features = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    dataset = make_dataset(features, n=n)
    projection = data_projection(dataset, max_points=40)
    assert projection.xy.shape == (40, 2) and len(projection.rows) == 40
    assert projection.axis_labels[0].startswith("PC1 (") and "principal components" in projection.how
    # The renderer draws whatever it is given: a hand-made projection, no features needed.
    made = Projection(np.zeros((n, 2)), "two made-up axes", ("left", "right"), np.arange(n))
    result = make_result(dataset, make_pred_probs(dataset.labels))
    plot = plots.data_map_plot(result, dataset, made)
    assert "two made-up axes" in plot.caption and f"all {n} rows" in plot.caption
    assert plots.data_map_plot(result, dataset, None) is None
    assert data_projection(make_dataset(features.iloc[:, :0], n=n)) is None


def test_plots_and_html_do_not_import_data_sklearn_or_the_engine_at_run_time():
    import ast
    from pathlib import Path

    import cleanaudit.report

    for path in (Path(cleanaudit.report.__file__).parent / name for name in ("plots.py", "html.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import) and id(node) not in guarded:
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    assert not name.startswith(("cleanaudit.data", "cleanaudit.engine", "sklearn")), (path, name)
