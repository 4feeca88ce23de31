"""GitHub Actions workflow commands: one annotation per flagged row and issue type, then a summary.

``::warning file=F,line=L,title=T::MESSAGE`` (``::error`` for an issue type whose gate failed) shows
on the pull request at the CSV line of the row; a row of a file GitHub cannot point into (Parquet,
a URL, stdin) gets an annotation without ``file``/``line``. GitHub shows only the first few
annotations of a step, so they are capped (:func:`cleanaudit.report.findings.capped`) and a last
``::notice::`` line counts them all. Text is escaped as GitHub's toolkit does: ``%``, CR and LF
in messages, and also ``:`` and ``,`` in properties.

>>> from cleanaudit.report.findings import Finding, Location
>>> f = Finding("label", 0, 0, 0.1, "50% off:\\nnow", "warning", Location("data/t.csv", 2))
>>> print(render_github([f], {"label": 1}), end="")
::warning file=data/t.csv,line=2,title=Label issue::50%25 off:%0Anow
::notice title=cleanaudit::cleanaudit: 1 label issue (showing 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cleanaudit.report.findings import Finding, capped

__all__ = ["DEFAULT_CAP", "escape_data", "escape_property", "render_github"]

DEFAULT_CAP = 50


def escape_data(text: str) -> str:
    """A message as a workflow command carries it.

    >>> escape_data("a%b\\r\\nc")
    'a%25b%0D%0Ac'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (``file``, ``title``): the message's escapes plus ``:`` and ``,``.

    >>> escape_property("a:b,c")
    'a%3Ab%2Cc'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """One ``::warning``/``::error`` line."""
    props = []
    if finding.location.uri is not None:
        props.append(f"file={escape_property(finding.location.uri)}")
        if finding.location.line is not None:
            props.append(f"line={finding.location.line}")
    props.append(f"title={escape_property(finding.title)}")
    return f"::{finding.level} {','.join(props)}::{escape_data(finding.message)}"


def render_github(
    findings: Sequence[Finding], counts: Mapping[str, int], *, cap: int | None = DEFAULT_CAP, prefix: str = ""
) -> str:
    """The annotations (at most ``cap``; ``None``/0: all) and one summary line counting every issue type found.

    ``prefix`` names the dataset in the summary (a batch prints one summary per dataset).
    """
    shown = capped(findings, cap)
    lines = [annotation(f) for f in shown]
    parts = [f"{n} {t.replace('_', ' ')} issue{'s' if n != 1 else ''}" for t, n in counts.items() if n]
    summary = ", ".join(parts) if parts else "no issues"
    lines.append(escape_notice(f"cleanaudit: {prefix}{summary} (showing {len(shown)})"))
    return "\n".join(lines) + "\n"


def escape_notice(text: str) -> str:
    return f"::notice title=cleanaudit::{escape_data(text)}"
