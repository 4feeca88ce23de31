"""A renderer-neutral table, and its Markdown and CSV forms.

Results describe what they show as :class:`TableData`; the terminal (Rich), Markdown and CSV
renderers all read the same object, so every format shows the same numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TableData:
    """A titled table of plain Python values.

    >>> print(TableData("T", ["a", "b"], [[1, 0.5]]).to_markdown())
    ### T
    <BLANKLINE>
    | a | b |
    | --- | --- |
    | 1 | 0.5000 |
    """

    title: str
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    dim_rows: list[int] = field(default_factory=list)  # rows that matter less (e.g. checks with no issues)

    def to_markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        if self.caption:
            lines[1:1] = ["", self.caption]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("| " + " | ".join("---" for _ in self.columns) + " |")
        for row in self.rows:
            lines.append("| " + " | ".join(_markdown_cell(v) for v in row) + " |")
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue()


def format_cell(value: Any) -> str:
    """Human formatting: floats to 4 decimals, everything else as ``str``.

    >>> format_cell(0.123456), format_cell(3), format_cell("blue")
    ('0.1235', '3', 'blue')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _markdown_cell(value: Any) -> str:
    return format_cell(value).replace("|", "\\|").replace("\n", " ")
