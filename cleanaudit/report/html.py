"""The audit's HTML report: one self-contained page (inline CSS, plots as base64 PNG, no scripts).

The page shows the same tables as the terminal (the :class:`~cleanaudit.report.tables.TableData`
list of ``audit_tables``) and the same numbers as ``report.json`` (the envelope), plus figures
from :mod:`cleanaudit.report.plots` when matplotlib is installed. It needs no network to render:
no external fonts, stylesheets, scripts or images. Every user-provided string (class names,
column names, ids, paths) is escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.report.tables import TableData, format_cell

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.report.plots import Plot
    from cleanaudit.workflows.audit import ChecksResult
    from cleanaudit.workflows.projection import Projection

PLOTS_HINT = 'pip install "cleanaudit[report]"'
MAX_CLASS_NAMES = 10  # named in the header line; the rest are counted
MAX_OVERLAPPING_PAIRS = 5

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa; --bad: #b42318; --good: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 4px; }
p { margin: 6px 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.dataset { color: var(--muted); }
.dataset b { color: var(--ink); font-weight: 600; }
.caption, .note, figcaption, footer { color: var(--muted); font-size: 13px; }
.note { white-space: pre-wrap; }  /* table notes separate their items with runs of spaces */
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { padding: 4px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.dim td { color: #9aa1a9; }
.flag { color: var(--bad); font-weight: 600; }
.ok { color: var(--good); }
ul { margin: 6px 0; padding-left: 22px; }
dl.findings { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 8px 0; }
dl.findings dt { font-weight: 600; }
dl.findings dd { margin: 0; }
figure { margin: 20px 0 28px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { margin-top: 6px; max-width: 760px; }
.hint { padding: 10px 14px; background: var(--soft); border-left: 4px solid var(--line); }
.banner { margin: 16px 0; padding: 12px 16px; background: #fef3f2; border-left: 6px solid var(--bad); }
.banner p { color: var(--bad); font-weight: 600; }
.kind { color: var(--muted); font-size: 12px; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); }
"""


def render_html(
    envelope: dict[str, Any],
    tables: Sequence[TableData],
    result: ChecksResult,
    dataset: Dataset,
    pred_probs: np.ndarray | None,
    note: Callable[[str], None],
    *,
    projection: Projection | None = None,
    joint: np.ndarray | None = None,
) -> str:
    """The audit report as one self-contained HTML page.

    ``envelope`` is the JSON report, ``tables`` the terminal's tables (summary first, then the
    most severe examples per issue type, then those of kind ``run``: the models compared, the
    confusion matrix). Plots need matplotlib; without it the page says how to add them and
    ``note`` is told once. Every note of the run (``envelope["notes"]``) is on the page once, and a
    banner opens it when the run's model check says the findings are unreliable.

    >>> import pandas as pd
    >>> from cleanaudit.workflows.audit import ChecksResult
    >>> from cleanaudit.data.dataset import Dataset
    >>> ds = Dataset(frame=pd.DataFrame(), features=pd.DataFrame(), labels=np.array([0, 1]),
    ...              class_names=["cat", "dog"], label_column="y")
    >>> notes = []
    >>> envelope = {"command": "audit", "dataset": {"path": "pets.csv", "num_examples": 2}, "run": {}}
    >>> page = render_html(envelope, [TableData("Issues found", ["issue type", "issues"], [["label", 0]])],
    ...                    ChecksResult(2, ["cat", "dog"], {}), ds, None, note=notes.append)
    >>> page.startswith("<!DOCTYPE html>"), "pets.csv" in page
    (True, True)
    """
    plots, missing_matplotlib = _plots(result, dataset, projection, joint)
    if missing_matplotlib:
        note(f"report.html has no plots because matplotlib is not installed; {PLOTS_HINT} adds them")
    summary, rest = (tables[0], list(tables[1:])) if tables else (None, [])
    examples = [t for t in rest if t.kind not in ("run", "annotators")]
    how = [t for t in rest if t.kind == "run"]  # the models compared, the confusion matrix
    crowd = [t for t in rest if t.kind == "annotators"]  # --annotators: the annotator table
    sections = [
        _header(envelope, dataset),
        _banner(envelope),
        _summary_section(summary, envelope),
        _findings_section(envelope),
        _plots_section(plots, missing_matplotlib),
        _examples_section(examples),
        _section("model", "The model's out-of-fold predictions", [_table(t) for t in how]) if how else "",
        _section("annotators", "Annotators", [_table(t) for t in crowd]) if crowd else "",
        _notes_section(envelope, tables),
        _footer(envelope),
    ]
    title = f"cleanaudit {envelope.get('command', 'audit')}: {_paths_text(envelope.get('dataset', {}).get('path'))}"
    return _page(title, "\n".join(s for s in sections if s))


# --- page parts ----------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    )


def _header(envelope: dict[str, Any], dataset: Dataset) -> str:
    """Title and one line that says what was audited and how (enough to repeat the run)."""
    data = envelope.get("dataset", {})
    run = envelope.get("run", {})
    names = data.get("class_names") or list(dataset.class_names)
    shown = ", ".join(str(c) for c in names[:MAX_CLASS_NAMES])
    if len(names) > MAX_CLASS_NAMES:
        shown += f", … and {len(names) - MAX_CLASS_NAMES} more"
    parts = [
        f"file <b>{_e(_paths_text(data.get('path')))}</b>",
        f"<b>{_e(_count(data.get('num_examples', dataset.num_examples)))}</b> rows",
        f"<b>{len(names)}</b> classes ({_e(shown)})",
        f"label column <b>{_e(data.get('label_column', dataset.label_column))}</b>",
    ]
    if data.get("id_column"):
        parts.append(f"id column <b>{_e(data['id_column'])}</b>")
    if run.get("model"):
        parts.append(f"model <b>{_e(run['model'])}</b>")
        parts.append(f"<b>{_e(run.get('cv_folds'))}</b> folds")
        parts.append(f"seed <b>{_e(run.get('seed'))}</b>")
    elif run.get("pred_probs_source"):
        parts.append(f"pred_probs from <b>{_e(run['pred_probs_source'])}</b>")
    sha = str(data.get("sha256") or "")
    if sha:
        parts.append(f'sha256 <code title="{_e(sha)}">{_e(sha[:12])}</code>')
    return (
        f"<header>\n<h1>cleanaudit {_e(envelope.get('command', 'audit'))} report</h1>\n"
        f'<p class="dataset">{" · ".join(parts)}</p>\n</header>'
    )


def _summary_section(summary: TableData | None, envelope: dict[str, Any]) -> str:
    """The issue types found (rows without issues dimmed), and the checks that did not run."""
    parts = []
    if summary is not None:
        if "skipped" in envelope:
            # Notes on skipped checks repeat the list below, which has more structure.
            kept = [n for n in summary.notes if not n.startswith("skipped ")]
            summary = dataclasses.replace(summary, notes=kept)
        parts.append(_table(summary))
    skipped = envelope.get("skipped") or []
    if skipped:
        parts.append("<h3>Skipped checks</h3>")
        parts.append(_list(f"<b>{_e(s.get('issue_type'))}</b>: {_e(s.get('reason'))}" for s in skipped))
    return _section("summary", "Summary", parts) if parts else ""


def _findings_section(envelope: dict[str, Any]) -> str:
    """Dataset-level findings: label health, rarest class, overlapping classes, non-IID order."""
    found = envelope.get("dataset_issues") or {}
    num_examples = envelope.get("dataset", {}).get("num_examples")
    rows: list[tuple[str, str]] = []
    if found.get("health_score") is not None:
        multilabel = envelope.get("task") == "multilabel"
        rows.append(("Label health", _health_text(float(found["health_score"]), num_examples, multilabel)))
    if found.get("class_imbalance"):
        rows.append(("Rarest class", _imbalance_text(found["class_imbalance"])))
    if "overlapping_classes" in found:
        rows.append(
            ("Overlapping classes", _overlap_html(found["overlapping_classes"], found.get("overlapping_pairs_total")))
        )
    if found.get("non_iid"):
        rows.append(("Row order (non-IID)", _non_iid_text(found["non_iid"])))
    if not rows:
        return ""
    items = "\n".join(f"<dt>{_e(term)}</dt><dd>{desc}</dd>" for term, desc in rows)
    return _section("findings", "Dataset-level findings", [f'<dl class="findings">\n{items}\n</dl>'])


def _banner(envelope: dict[str, Any]) -> str:
    """The "findings unreliable" banner, and why, when the run's model check says so (nothing without one)."""
    from cleanaudit.report.run_tables import unreliable_banner

    lines = unreliable_banner(envelope.get("run") or {})
    if not lines:
        return ""
    return '<div class="banner" role="alert">\n' + "\n".join(f"<p>{_e(line)}</p>" for line in lines) + "\n</div>"


def _notes_section(envelope: dict[str, Any], tables: Sequence[TableData]) -> str:
    """The run's notes, as report.json has them (columns left out, imputed values, model warnings, ...).

    Each is on the page once: skipped checks have their own list and a table's notes stand under it.
    """
    shown = {n for t in tables for n in t.notes}
    notes = [
        n for n in envelope.get("notes") or [] if n.get("kind") != "check_skipped" and n.get("message") not in shown
    ]
    if not notes:
        return ""
    items = (f'{_e(n.get("message"))} <span class="kind">{_e(n.get("kind"))}</span>' for n in notes)
    return _section("notes", "Notes", [_list(items)])


def _plots_section(plots: list[Plot], missing_matplotlib: bool) -> str:
    if missing_matplotlib:
        hint = (
            f'<p class="hint">Plots are left out because matplotlib is not installed: '
            f"<code>{_e(PLOTS_HINT)}</code> adds them.</p>"
        )
        return _section("plots", "Plots", [hint])
    return _section("plots", "Plots", [_figure(p) for p in plots]) if plots else ""


def _examples_section(tables: Sequence[TableData]) -> str:
    if not tables:
        return ""
    return _section("examples", "Most severe examples per issue type", [_table(t) for t in tables])


def _footer(envelope: dict[str, Any]) -> str:
    run = envelope.get("run", {})
    bits = [f"schema version {_e(envelope.get('schema_version', '?'))}"]
    if run.get("seconds") is not None:
        bits.append(f"ran in {_e(run['seconds'])} s")
    versions = run.get("versions") or {}
    if versions:
        bits.append(", ".join(f"{_e(k)} {_e(v)}" for k, v in versions.items()))
    return f"<footer>\n<p>Generated by cleanaudit · {' · '.join(bits)}</p>\n</footer>"


# --- pieces --------------------------------------------------------------------------------------


def _section(anchor: str, heading: str, parts: Sequence[str]) -> str:
    """A titled section of already-escaped HTML parts."""
    body = "\n".join(parts)
    return f'<section id="{anchor}">\n<h2>{_e(heading)}</h2>\n{body}\n</section>'


def _table(data: TableData) -> str:
    """A :class:`TableData` as a titled HTML table; numbers right-aligned, ``dim_rows`` dimmed."""
    numeric = [bool(data.rows) and _is_number(data.rows[0][i]) for i in range(len(data.columns))]
    head = "".join(_cell("th", c, numeric[i]) for i, c in enumerate(data.columns))
    body = []
    for position, row in enumerate(data.rows):
        cells = "".join(_cell("td", format_cell(v), _is_number(v)) for v in row)
        dim = ' class="dim"' if position in data.dim_rows else ""
        body.append(f"<tr{dim}>{cells}</tr>")
    parts = [f"<h3>{_e(data.title)}</h3>"]
    if data.caption:
        parts.append(f'<p class="caption">{_e(data.caption)}</p>')
    parts.append("<table>\n<thead><tr>" + head + "</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>")
    parts += [f'<p class="note">{_e(n)}</p>' for n in data.notes if n]
    return "\n".join(parts)


def _cell(tag: str, text: Any, numeric: bool) -> str:
    align = ' class="num"' if numeric else ""
    return f"<{tag}{align}>{_e(text)}</{tag}>"


def _figure(plot: Plot) -> str:
    uri = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure>\n<h3>{_e(plot.title)}</h3>\n<img src="{uri}" alt="{_e(plot.title)}">\n'
        f"<figcaption>{_e(plot.caption)}</figcaption>\n</figure>"
    )


def _list(items: Iterable[str]) -> str:
    """A bullet list of already-escaped HTML items."""
    return "<ul>\n" + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>"


def _health_text(score: float, num_examples: Any, multilabel: bool = False) -> str:
    wrong = 1.0 - score
    what = "rows have a label set that looks wrong" if multilabel else "labels look wrong"
    text = f"<b>{score:.4f}</b>: about {wrong:.1%} of the {what}"
    if isinstance(num_examples, int) and num_examples > 0:
        text += f" (≈{round(wrong * num_examples):,} of {num_examples:,} rows)"
    return text


def _imbalance_text(info: dict[str, Any]) -> str:
    text = f"<b>{_e(info.get('rarest_class'))}</b>"
    fraction = info.get("rarest_class_fraction")
    if fraction is not None:
        text += f", {float(fraction):.1%} of the rows"
    return text + (' — <span class="flag">flagged as imbalanced</span>' if info.get("flagged") else "")


def _overlap_html(pairs: Sequence[Any], total: int | None = None) -> str:
    """Top overlapping class pairs (of ``total``); each pair is a dict (as the overlap command's) or a sequence."""
    if not pairs:
        return "none found"
    items = []
    for pair in list(pairs)[:MAX_OVERLAPPING_PAIRS]:
        if isinstance(pair, dict):
            a, b = pair.get("class_a"), pair.get("class_b")
            n, p = pair.get("num_overlapping_examples"), pair.get("joint_probability")
            text = f"<b>{_e(a)}</b> / <b>{_e(b)}</b>"
            if n is not None:
                text += f": {_e(n)} rows"
            if p is not None:
                text += f" (joint probability {float(p):.3f})"
        else:
            text = _e(" / ".join(str(v) for v in pair) if isinstance(pair, (list, tuple)) else pair)
        items.append(text)
    more = (len(pairs) if total is None else int(total)) - len(items)
    return _list(items) + (
        f'<p class="note">and {more:,} more pairs; report.json lists the largest</p>' if more > 0 else ""
    )


def _non_iid_text(info: dict[str, Any]) -> str:
    p_value = info.get("p_value")
    text = f"p-value <b>{float(p_value):.4g}</b>" if p_value is not None else "p-value not computed"
    if info.get("flagged"):
        return text + ' — <span class="flag">the row order is not random</span> (shuffle before splitting)'
    return text + ' — <span class="ok">no sign of order effects</span>'


def _plots(
    result: ChecksResult, dataset: Dataset, projection: Projection | None, joint: np.ndarray | None
) -> tuple[list[Plot], bool]:
    """The figures, and whether they are missing because matplotlib is not installed."""
    from cleanaudit.report import plots

    if plots.matplotlib_missing():
        return [], True
    return plots.audit_plots(result, dataset, projection, joint), False


def _paths_text(path: Any) -> str:
    if isinstance(path, (list, tuple)):
        return ", ".join(str(p) for p in path) if len(path) <= 3 else f"{len(path)} files ({path[0]}, …)"
    return str(path) if path else "(unknown)"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _e(value: Any) -> str:
    """Escape any value for HTML text and attribute values."""
    return html.escape(str(value), quote=True)
