"""Where each row of a CSV file starts (its 1-based line), and a file's path relative to its repository.

Annotations on a pull request (``--format github``, ``--format sarif``) point at the line of a
flagged row. A row's line is not its position + 2: a quoted value may hold line breaks, and the
loader skips blank lines. :func:`record_start_lines` walks the bytes as the loader's parser reads
them (double quotes, ``""`` inside quotes, CRLF or LF line ends, a lone CR inside a value kept as
data, CR-only files, a UTF-8 byte-order mark, blank lines skipped) and gives the line each record
starts on; the header is the first record.

>>> record_start_lines_of(b'text,y\\n"two\\nlines",a\\n\\nok,b\\n')
[1, 2, 5]
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

__all__ = ["record_start_lines", "record_start_lines_of", "repository_path"]

_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")


def record_start_lines_of(data: bytes, sep: str = ",") -> list[int]:
    """The 1-based line on which each record (header first) of the CSV text ``data`` starts.

    >>> record_start_lines_of(b'\\xef\\xbb\\xbfa,b\\r\\n1,"x\\r\\ny"\\r\\n2,z')
    [1, 2, 4]
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    line_end = _LF if _LF in data else _CR  # a file without LF ends its lines with CR
    blank = {ord(" "), ord("\t")} - {ord(sep)}
    delimiter = ord(sep)
    starts: list[int] = []
    line, record_line, state, only_blank = 1, 1, _RECORD_START, True
    for byte in data:
        if state == _RECORD_START:  # a record starts on its first byte (a blank line is skipped)
            record_line, state, only_blank = line, _FIELD_START, True
        if byte == line_end:
            line += 1
            if state != _IN_QUOTES:
                if not only_blank:
                    starts.append(record_line)
                state = _RECORD_START
            continue
        if byte == _CR and line_end == _LF:
            continue  # the CR of CRLF, or a lone CR the loader keeps as data: neither ends a line
        if byte not in blank:
            only_blank = False
        state = _next_state(state, byte, delimiter)
    if state != _RECORD_START and not only_blank:
        starts.append(record_line)
    return starts


# The parser's states (pandas' C tokenizer, with its defaults: quote '"', doubled to escape it).
_RECORD_START, _FIELD_START, _IN_FIELD, _IN_QUOTES, _QUOTE_IN_QUOTES = range(5)


def _next_state(state: int, byte: int, delimiter: int) -> int:
    """The state after ``byte`` (not a line end): a quote opens a field only at its start."""
    if state == _IN_QUOTES:
        return _QUOTE_IN_QUOTES if byte == _QUOTE else _IN_QUOTES
    if state == _QUOTE_IN_QUOTES and byte == _QUOTE:
        return _IN_QUOTES  # "" inside quotes: one literal quote
    if byte == delimiter:
        return _FIELD_START
    if state == _FIELD_START and byte == _QUOTE:
        return _IN_QUOTES
    return _IN_FIELD  # a quote inside an unquoted field, or after a closing quote, is a plain character


def record_start_lines(path: Path, *, sep: str = ",") -> list[int] | None:
    """The start line of every data row of the CSV at ``path`` (header excluded); ``None`` if unreadable.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "t.csv"
    ...     _ = p.write_bytes(b'id,note\\n1,"a\\nb"\\n2,c\\n')
    ...     record_start_lines(p)
    [2, 4]
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return record_start_lines_of(data, sep)[1:]


def repository_path(path: Path) -> str:
    """``path`` relative to its repository, with ``/``: the root is ``$GITHUB_WORKSPACE`` when set and
    holding the file, else the nearest folder above it holding ``.git``; else ``path`` as given.

    >>> repository_path(Path("no/such/repo/x.csv")) in ("no/such/repo/x.csv", "x.csv")
    True
    """
    resolved = path.resolve()
    roots = [Path(os.environ["GITHUB_WORKSPACE"])] if os.environ.get("GITHUB_WORKSPACE") else []
    roots += [folder for folder in resolved.parents if (folder / ".git").exists()][:1]
    for root in roots:
        try:
            return PurePosixPath(resolved.relative_to(root.resolve())).as_posix()
        except ValueError:
            continue
    return PurePosixPath(path).as_posix()
