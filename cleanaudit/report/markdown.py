"""The Markdown report of a command (stdout with ``--format markdown``, ``report.md``, the GitHub step summary).

A "findings unreliable" banner comes first when the run's model check failed, then the gates, as
a pull-request reader wants the verdict before the details; then the tables, then the run's notes
(every note of JSON ``notes`` is on the page once: those a table shows are not repeated).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from cleanaudit.report.tables import TableData, headline, markdown_text

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.events import Note
    from cleanaudit.workflows.gates import GateResult


def markdown_report(
    command: str,
    dataset: Dataset,
    tables: Sequence[TableData],
    gates: Sequence[GateResult] | None = None,
    notes: Iterable[Note] = (),
    banner: Sequence[str] = (),
) -> str:
    """The whole Markdown page.

    >>> from cleanaudit.data.dataset import Dataset
    >>> from cleanaudit.events import Note
    >>> import numpy as np, pandas as pd
    >>> ds = Dataset(frame=pd.DataFrame(), features=pd.DataFrame(), labels=np.array([0, 1]), class_names=["a", "b"],
    ...              label_column="y")
    >>> print(markdown_report("health", ds, [], notes=[Note("dry_run", "dry run: nothing written")]))
    ## cleanaudit health
    <BLANKLINE>
    the data: 2 rows, 2 classes (a, b)
    <BLANKLINE>
    ### Notes
    <BLANKLINE>
    - dry run: nothing written
    <BLANKLINE>
    """
    parts = [f"## cleanaudit {command}", "", markdown_text(headline(dataset))]
    if banner:
        parts += ["", "\n>\n".join(f"> **{markdown_text(line)}**" for line in banner)]
    if gates:
        failed = [g for g in gates if not g.passed and g.severity == "error"]
        verdict = (
            f"**Gates: {len(failed)} of {len(gates)} failed**" if failed else f"**Gates: all {len(gates)} passed**"
        )
        rows = [
            [
                g.expr,
                "-" if g.measured is None else g.measured,
                "pass" if g.passed else ("warn" if g.severity == "warn" else "FAIL"),
                g.message,
            ]
            for g in gates
        ]
        parts += ["", verdict, "", TableData("Gates", ["gate", "measured", "status", "detail"], rows).to_markdown()]
    parts += ["\n" + t.to_markdown() for t in tables]
    shown = {n for t in tables for n in t.notes}  # e.g. skipped checks, under the summary table
    listed = [n for n in notes if n.message not in shown]
    if listed:
        parts += ["", "### Notes", "", *(f"- {markdown_text(n.message)}" for n in listed)]
    return "\n".join(parts) + "\n"
