"""The review page: people go through the flags of an ``--out`` folder and decide on each row.

``cleanaudit review DIR`` serves the page on 127.0.0.1 (:class:`ReviewServer`) and saves every
decision to ``DIR/corrections.csv`` as it is made; ``--static`` writes one self-contained
``DIR/review.html`` instead (:func:`write_static_page`), whose decisions download as the same CSV.
Nothing here computes findings: the rows, scores and suggestions are those the run wrote.

>>> review = load_review_folder(Path("report"))  # doctest: +SKIP
>>> ReviewServer(review).url  # doctest: +SKIP
'http://127.0.0.1:50123/?token=...'
"""

from __future__ import annotations

from pathlib import Path

from cleanaudit.review.corrections import CORRECTION_COLUMNS, Decisions
from cleanaudit.review.folder import ReviewFolder, load_review_folder
from cleanaudit.review.page import render_page
from cleanaudit.review.server import ReviewServer

__all__ = [
    "CORRECTION_COLUMNS",
    "Decisions",
    "ReviewFolder",
    "ReviewServer",
    "load_review_folder",
    "write_static_page",
]

STATIC_PAGE = "review.html"


def write_static_page(review: ReviewFolder) -> Path:
    """Write ``review.html`` into the review's folder (atomically) and return its path.

    The page embeds the flagged rows and the decisions already in ``corrections.csv``; decisions
    made in it stay in the browser (localStorage) and download as ``corrections.csv``.
    """
    from cleanaudit.data.write import atomic_write_text

    decisions = Decisions(review.corrections_path, review.row_ids(), review.class_names)
    target = review.folder / STATIC_PAGE
    atomic_write_text(target, render_page({**review.payload(), "decisions": decisions.snapshot()}, mode="static"))
    return target
