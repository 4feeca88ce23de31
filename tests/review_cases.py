"""Shared by the review tests: an audited --out folder whose labels hold markup, and a server in a thread."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from cleanaudit.review import ReviewServer, load_review_folder

REPO = Path(__file__).resolve().parents[1]
SCRIPT_LABEL = "<script>alert(1)</script>"
IMG_LABEL = '<img src=x onerror="alert(2)">'


def hostile_table(path: Path) -> Path:
    """The tutorial data with an id column, two copied rows (near duplicates) and labels that are markup."""
    table = pd.read_csv(REPO / "sample_data" / "tutorial" / "train.csv")
    table = pd.concat([table, table.iloc[[5, 17]]], ignore_index=True)
    table.insert(0, "rid", [f"r{i:03d}" for i in range(len(table))])
    table["y"] = table["y"].replace({"purple": SCRIPT_LABEL, "yellow": IMG_LABEL})
    table.to_csv(path, index=False)
    return path


def audited_folder(root: Path, *, command: str = "audit") -> tuple[Path, Path]:
    """(the input CSV, the --out folder of ``command`` run on it), through the CLI in process."""
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    data, out = hostile_table(root / "tickets.csv"), root / f"{command}-out"
    args = [command, str(data), "-l", "y", "--ignore", "y_int", "--id-column", "rid", "--model", "logreg"]
    if command == "audit":
        args += ["--checks", "label,near_duplicate"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--quiet", "--jobs", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    return data, out


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[ReviewServer]:
    """A review server for ``folder`` on a free port, in a thread, shut down after."""
    server = ReviewServer(load_review_folder(folder), port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post(
    server: ReviewServer,
    body: object,
    *,
    token: str | None = None,
    kind: str = "application/json",
    host: str | None = None,
) -> tuple[int, dict]:
    """POST ``body`` (JSON unless bytes) to the server's /decisions; the status and the JSON answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/decisions", data=data, method="POST")
    request.add_header("Content-Type", kind)
    request.add_header("X-Review-Token", server.token if token is None else token)
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        text = err.read()
        return err.code, json.loads(text) if text.startswith(b"{") else {"error": text.decode()}


def page_data(html: str) -> dict:
    """The JSON embedded in a review page."""
    block = html.split('<script id="review-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    return json.loads(block)
