"""A renderer-neutral table, and its Markdown and CSV forms.

Results describe what they show as :class:`TableData`; the terminal (Rich), Markdown and CSV
renderers all read the same object, so every format shows the same numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset


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
    kind: str = ""  # "examples" (flagged rows with their values), "run" (how findings were reached), or ""

    def to_markdown(self) -> str:
        # Titles, captions and headers may hold data (class names, paths): all shown literally.
        lines = [f"### {markdown_text(self.title)}", ""]
        if self.caption:
            lines[1:1] = ["", markdown_text(self.caption)]
        lines.append("| " + " | ".join(markdown_text(c) for c in self.columns) + " |")
        lines.append("| " + " | ".join("---" for _ in self.columns) + " |")
        for row in self.rows:
            lines.append("| " + " | ".join(_markdown_cell(v) for v in row) + " |")
        if self.notes:
            lines += ["", *(markdown_text(n) for n in self.notes)]
        return "\n".join(lines)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue()


def headline(dataset: Dataset) -> str:
    """What was read, above every report: ``train.csv: 250 rows, 4 classes (blue, purple, ...)``."""
    from cleanaudit.errors import name_list

    names = name_list(dataset.class_names, limit=20)  # thousands of class names would bury the report
    where = ", ".join(str(p) for p in dataset.paths) or "the data"
    return f"{where}: {dataset.num_examples} rows, {dataset.num_classes} classes ({names})"


def format_cell(value: Any) -> str:
    r"""Human formatting: floats to 4 decimals, everything else as printable ``str``.

    >>> format_cell(0.123456), format_cell(3), format_cell("blue"), format_cell("a\x1b[31m")
    ('0.1235', '3', 'blue', 'a\\x1b[31m')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return printable(str(value))


def printable(text: str) -> str:
    r"""``text`` with control characters (escape sequences, newlines) shown as ``\xNN`` escapes.

    Values from the user's data reach the terminal; an escape sequence in a label must show as
    text, not recolour or move the cursor.

    >>> printable("ok\nnext\x07")
    'ok\\nnext\\x07'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else _escape_char(c) for c in text)


def _escape_char(char: str) -> str:
    code = ord(char)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}")


_MARKDOWN_SPECIAL = set("\\`*[]<|&")  # '<' opens HTML; '>' alone cannot, and is common in gate expressions
_MARKDOWN_LINE_START = set("#>-+")  # headings, quotes and lists begin only at the start of a line


def markdown_text(text: str) -> str:
    r"""Data shown literally in Markdown: special characters backslash-escaped, one line.

    >>> markdown_text("[x](y) <b>|*")
    '\\[x\\](y) \\<b>\\|\\*'
    """
    text = printable(text)
    out = []
    for i, c in enumerate(text):
        # '_' starts emphasis only at a word boundary (GFM): escape it there, keep snake_case readable.
        boundary = c == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum())
        special = c in _MARKDOWN_SPECIAL or (i == 0 and c in _MARKDOWN_LINE_START)
        out.append("\\" + c if special or boundary else c)
    return "".join(out)


def _markdown_cell(value: Any) -> str:
    if isinstance(value, (bool, int, float)):
        return format_cell(value)
    return markdown_text(format_cell(value))
