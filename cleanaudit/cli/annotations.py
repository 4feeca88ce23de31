"""``--format github`` and ``--format sarif``: a run's flagged rows, located in the files they came from.

The glue between a finished run and the renderers (:mod:`cleanaudit.report.github`,
:mod:`cleanaudit.report.sarif`): it finds where each input row sits (the repository path of its
file and, for an uncompressed CSV or TSV, the line its record starts on,
:mod:`cleanaudit.data.csv_lines`), collects the findings and renders them. Rows of Parquet files
get the file only; rows read from a URL or stdin get no location. ``CLEANAUDIT_MAX_ANNOTATIONS``
sets the cap of ``--format github`` (default 50; 0 shows all).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cleanaudit.errors import ConfigError
from cleanaudit.events import Note

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.report.findings import Finding, Location
    from cleanaudit.workflows.result import RunContext

CAP_VARIABLE = "CLEANAUDIT_MAX_ANNOTATIONS"
Notify = Callable[[Note], None]


def github_text(contexts: Sequence[RunContext], notify: Notify) -> str:
    """The annotations of every run (several: a batch), capped, and one summary line."""
    from cleanaudit.report.github import DEFAULT_CAP, render_github

    findings, counts = _findings(contexts, notify)
    return render_github(findings, counts, cap=annotation_cap(DEFAULT_CAP))


def sarif_text(contexts: Sequence[RunContext], notify: Notify) -> str:
    """The SARIF 2.1.0 log of every run, as JSON text."""
    from cleanaudit import __version__
    from cleanaudit.report.envelope import to_json
    from cleanaudit.report.sarif import sarif_log
    from cleanaudit.workflows.audit import check_catalogue

    findings, counts = _findings(contexts, notify)
    described = {c["check"]: c["description"] for c in check_catalogue()}
    rules = {name: described.get(name, "") for name in counts}
    notes = list(dict.fromkeys(n.message for c in contexts for n in c.notes))
    name = "+".join(_dataset_key(c.dataset) for c in contexts)
    return to_json(sarif_log(findings, rules, version=__version__, dataset=name, notes=notes))


def annotation_cap(default: int) -> int | None:
    """The most annotations shown: ``$CLEANAUDIT_MAX_ANNOTATIONS`` (0: all), else ``default``."""
    text = os.environ.get(CAP_VARIABLE, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ConfigError(f"{CAP_VARIABLE}={text!r} is not a number of annotations", hint="give 0 (all) or more")
    return int(text) or None


def _findings(contexts: Sequence[RunContext], notify: Notify) -> tuple[list[Finding], dict[str, int]]:
    from cleanaudit.report.findings import collect_findings

    findings: list[Finding] = []
    counts: dict[str, int] = {}
    for context in contexts:
        mine = collect_findings(context, row_locator(context.dataset, notify))
        findings += mine
        measured = dict(context.measured.counts)
        for f in mine:
            measured.setdefault(f.issue_type, 0)
        for issue_type, n in measured.items():
            flagged = sum(f.issue_type == issue_type for f in mine)
            counts[issue_type] = counts.get(issue_type, 0) + max(int(n), flagged)
    return findings, counts


def _dataset_key(dataset: Dataset) -> str:
    from cleanaudit.data.csv_lines import repository_path

    return "+".join(repository_path(p) if isinstance(p, Path) and str(p) != "-" else str(p) for p in dataset.paths)


def row_locator(dataset: Dataset, notify: Notify) -> Callable[[int], Location]:
    """Where the input row at a 0-based position is: its file's repository path and its line, when known."""
    from cleanaudit.report.findings import Location

    paths = list(dataset.paths)
    if not paths or any(not isinstance(p, Path) or str(p) == "-" for p in paths):
        return lambda _row: Location()  # a DataFrame, a URL or stdin: nothing in the repository to point at
    spans = [_file_rows(p) for p in paths]  # per file: its uri and the start line of each row (None: unknown)
    counts = [len(lines) if lines is not None else None for _, lines in spans]
    if len(paths) == 1:
        uri, lines = spans[0]
        if lines is not None and len(lines) != dataset.num_input_rows:
            notify(_unmatched(paths[0], len(lines), dataset.num_input_rows))
            lines = None
        return lambda row: Location(uri, (lines[row] or None) if lines is not None and row < len(lines) else None)
    if None in counts or sum(c for c in counts if c is not None) != dataset.num_input_rows:
        notify(_unmatched(paths[0], sum(c or 0 for c in counts), dataset.num_input_rows))
        return lambda _row: Location()
    starts = [sum(c for c in counts[:i] if c is not None) for i in range(len(counts))]

    def locate(row: int) -> Location:
        index = max(i for i, s in enumerate(starts) if s <= row)
        uri, lines = spans[index]
        return Location(uri, (lines[row - starts[index]] or None) if lines is not None else None)

    return locate


def _file_rows(path: Path) -> tuple[str, list[int] | None]:
    """A file's repository path and its rows' start lines (line 0: a Parquet row, which has none)."""
    from cleanaudit.data.csv_lines import record_start_lines, repository_path
    from cleanaudit.data.load import CSV_SUFFIXES, PARQUET_SUFFIXES, TSV_SUFFIXES

    suffixes = [s.lower() for s in path.suffixes]
    uri = repository_path(path)
    if suffixes and suffixes[-1] in CSV_SUFFIXES + TSV_SUFFIXES:
        return uri, record_start_lines(path, sep="\t" if suffixes[-1] in TSV_SUFFIXES else ",")
    if suffixes and suffixes[-1] in PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq

            return uri, [0] * pq.ParquetFile(path).metadata.num_rows
        except Exception:  # an unreadable footer: the run read it, so this is unlikely; no lines then
            return uri, None
    return uri, None  # compressed: a line of the text inside is no line of the file in the repository


def _unmatched(path: Path, found: int, expected: int) -> Note:
    return Note(
        "annotation_lines_unknown",
        f"annotations carry no line numbers: {found} records found in {path} but {expected} rows were read",
        details={"records": found, "rows": expected},
    )
