"""cleanaudit review through the CLI in process: --static, bad folders (exit 2), Ctrl-C (exit 130), the URL."""

from __future__ import annotations

import pytest
from review_cases import audited_folder
from typer.testing import CliRunner

from cleanaudit.cli.app import app


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return audited_folder(tmp_path_factory.mktemp("cli-review"))


def test_static_writes_review_html(audited):
    _, out = audited
    result = CliRunner().invoke(app, ["review", str(out), "--static"])
    assert result.exit_code == 0, result.output
    assert (out / "review.html").is_file() and "review.html" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("case", ["missing", "not_out"])
def test_bad_folder_is_one_line_and_exit_2(tmp_path, case):
    folder = tmp_path / "nope"
    if case == "not_out":
        folder.mkdir()
    result = CliRunner().invoke(app, ["review", str(folder), "--no-browser"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("cleanaudit: error:")


def test_serves_until_ctrl_c_with_the_url_on_stderr(audited, monkeypatch):
    from cleanaudit.review.server import ReviewServer

    _, out = audited
    seen = {}

    def interrupted(self, poll_interval=0.5):
        seen["url"] = self.url
        raise KeyboardInterrupt

    monkeypatch.setattr(ReviewServer, "serve_forever", interrupted)
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    result = CliRunner().invoke(app, ["review", str(out)])
    assert result.exit_code == 130
    assert seen["url"] in result.stderr and opened == [seen["url"]]
    assert result.stderr.strip().endswith("cleanaudit: interrupted")


def test_port_in_use_is_exit_2(audited):
    import socket

    _, out = audited
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = CliRunner().invoke(app, ["review", str(out), "--no-browser", "--port", str(busy.getsockname()[1])])
    assert result.exit_code == 2 and "pick another --port" in result.stderr
