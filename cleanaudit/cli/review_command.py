"""The review command: open the review page for an ``audit``/``find-issues`` ``--out`` folder.

It reads the folder (:func:`cleanaudit.review.load_review_folder`), then serves the page on
127.0.0.1 until Ctrl-C (exit 130 with the usual one line) or, with ``--static``, writes
``DIR/review.html`` and returns. The URL goes to stderr; stdout stays empty.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cleanaudit.cli.options import examples


def review(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="The --out folder of an audit or find-issues run; decisions go to DIR/corrections.csv.",
            show_default=False,
        ),
    ],
    static: Annotated[
        bool,
        typer.Option(
            "--static",
            help="Write one self-contained DIR/review.html (no server) whose decisions download as corrections.csv.",
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option(min=0, max=65535, help="Port on 127.0.0.1 to serve the page on (0: a free one)."),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Only print the page's URL; do not open a browser.")
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="The audited input, when it is no longer where report.json says (its SHA-256 must match).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Review the flagged rows of an --out folder in the browser; decisions are saved to DIR/corrections.csv.

    Rows come most severe first, with their values, labels, score, issue types and near-duplicate partners.

    Keys: a accept the suggestion, 1-9 relabel, l pick a label, d drop, k keep, s or → skip, ← back, u undo.

    Every decision is saved at once (the latest per row wins); reopening the page resumes.
    """
    from cleanaudit.errors import ConfigError
    from cleanaudit.review import ReviewServer, load_review_folder, write_static_page

    review_folder = load_review_folder(folder, data=data)
    say = (lambda text: None) if quiet else (lambda text: print(f"cleanaudit: {text}", file=sys.stderr, flush=True))
    if review_folder.input_state != "ok":
        say(f"warning: {review_folder.input_message}")
    if static:
        page = write_static_page(review_folder)
        say(f"wrote {page} ({len(review_folder.rows)} flagged rows); open it in a browser")
        return
    try:
        server = ReviewServer(review_folder, port=port)
    except OSError as err:
        raise ConfigError(
            f"cannot serve on 127.0.0.1:{port}: {err.strerror or err}", hint="pick another --port, or leave it out"
        ) from None
    try:
        say(f"review page for {len(review_folder.rows)} flagged rows at {server.url} (Ctrl-C to stop)")
        say(f"decisions are saved to {review_folder.corrections_path}")
        if not no_browser:
            import webbrowser

            webbrowser.open(server.url)
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    """Add the review command to ``app``."""
    app.command(
        epilog=examples(
            "cleanaudit audit data.csv --label y --id-column id --out report/",
            "cleanaudit review report/",
            "cleanaudit review report/ --no-browser --port 8765",
            "cleanaudit review report/ --static",
            "cleanaudit clean data.csv --label y --corrections report/corrections.csv --output cleaned.csv",
        )
    )(review)
