"""The ``--out DIR`` set: a run's files (report.json, report.md, report.html, issues.*) or a batch's
index, written as one.

A set is built in a hidden folder beside DIR (:class:`cleanaudit.data.write.FolderSet`) and moved
into place when complete, replacing an earlier set in one step: a failure or Ctrl-C at any moment
leaves the earlier complete set, or none, and no temp folder. DIR must be new, empty, or hold only
an earlier report (:data:`OWN_NAMES`, or per-dataset folders of them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.report.index import index_table

if TYPE_CHECKING:
    from cleanaudit.report.index import IndexRow
    from cleanaudit.workflows.result import RunContext

REPORT_FILES = frozenset({"report.json", "report.md", "report.html", "issues.parquet", "issues.csv"})
INDEX_FILES = frozenset({"index.json", "index.csv", "index.md"})
OWN_NAMES = REPORT_FILES | INDEX_FILES  # what an --out folder of ours holds (a batch: also DIR/<dataset>/)

Checkpoint = Callable[[], None] | None


def write_report_set(
    out: Path,
    envelope: dict[str, Any],
    context: RunContext,
    extra_files: Callable[[dict[str, Any]], dict[str, str]] | None = None,
    *,
    staging: Path | None = None,
    checkpoint: Checkpoint = None,
) -> list[str]:
    """Write a run's ``--out`` set (extra files, per-row files, report.json) as one; return the file names.

    ``extra_files(envelope)`` returns more files (name -> text); it is called only here, so costly
    renderings (plots) are skipped without ``--out``. ``staging`` is where a batch builds this
    dataset's folder (inside the batch's own set); reports still name ``out``. ``checkpoint()`` is
    called just before the set is moved into place.
    """
    import pandas as pd

    from cleanaudit.data.write import FolderSet, atomic_write_text, write_frame
    from cleanaudit.report.envelope import to_json

    dataset = context.dataset
    inputs = [("DATA", p) for p in dataset.paths]
    with FolderSet(staging or out, inputs, option="--out", own_names=OWN_NAMES) as staged:
        extras = extra_files(envelope) if extra_files is not None else {}
        if set(extras) - OWN_NAMES:  # a later run must recognise every file of the set as its own
            raise RuntimeError(f"--out file names missing from OWN_NAMES: {sorted(set(extras) - OWN_NAMES)}")
        written = ["report.json"]
        for name, text in extras.items():
            atomic_write_text(staged.path / name, text)
            written.append(name)
        if context.per_row is not None:
            frame = pd.DataFrame({"row": dataset.row_positions, "id": dataset.row_ids, **context.per_row})
            write_frame(frame, staged.path / "issues.parquet")
            write_frame(frame, staged.path / "issues.csv")
            envelope["rows_file"] = str(out / "issues.parquet")
            written += ["issues.parquet", "issues.csv"]
        atomic_write_text(staged.path / "report.json", to_json(envelope))
        if checkpoint is not None:
            checkpoint()
        staged.commit()
    return written


def write_index(folder: Path, rows: Sequence[IndexRow], envelope: dict[str, Any], markdown: str) -> None:
    """A batch's index.json, index.csv and index.md in ``folder`` (the batch's staged set)."""
    from cleanaudit.data.write import atomic_write_text
    from cleanaudit.report.envelope import to_json

    atomic_write_text(folder / "index.json", to_json(envelope))
    atomic_write_text(folder / "index.csv", index_table(list(rows)).to_csv())
    atomic_write_text(folder / "index.md", markdown)
