"""The review server in process (port 0, a thread), driven with urllib: the page, decisions, resume, refusals."""

from __future__ import annotations

import csv
import urllib.error
import urllib.request

import pytest
from review_cases import IMG_LABEL, SCRIPT_LABEL, audited_folder, page_data, post, serving

from cleanaudit.review import CORRECTION_COLUMNS, load_review_folder, write_static_page


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return audited_folder(tmp_path_factory.mktemp("review-server"))


@pytest.fixture
def out(audited, tmp_path):
    """A fresh copy of the --out folder per test (decisions go into it)."""
    import shutil

    data, folder = audited
    copy = tmp_path / "out"
    shutil.copytree(folder, copy)
    return copy


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def _lines(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_page_lists_the_flagged_rows_behind_the_token(out):
    with serving(out) as server:
        status, html, headers = _get(server.url)
        assert status == 200 and "nonce-" in headers["Content-Security-Policy"]
        data = page_data(html)
        assert [r["row"] for r in data["rows"]] == [r["row"] for r in load_review_folder(out).rows]
        assert data["token"] == server.token and data["decisions"] == {}
        assert _get(f"http://127.0.0.1:{server.port}/")[0] == 403
        assert _get(f"http://127.0.0.1:{server.port}/?token=wrong")[0] == 403


def test_embedded_json_cannot_end_the_script_block(out):
    with serving(out) as server:
        html = _get(server.url)[1]
    block = html.split('id="review-data"', 1)[1].split("</script>", 1)[0]
    assert "<" not in block.split(">", 1)[1] and SCRIPT_LABEL not in block and IMG_LABEL not in html
    assert SCRIPT_LABEL in page_data(html)["class_names"]


def test_a_decision_is_written_at_once_and_the_latest_wins(out):
    with serving(out) as server:
        first, second = server.review.rows[0], server.review.rows[1]
        assert post(server, {"row": first["row"], "action": "relabel", "new_label": SCRIPT_LABEL})[0] == 200
        lines = _lines(out / "corrections.csv")
        assert tuple(lines[0]) == CORRECTION_COLUMNS
        assert [(int(x["row"]), x["id"], x["action"], x["new_label"]) for x in lines] == [
            (first["row"], first["id"], "relabel", SCRIPT_LABEL)
        ]
        assert lines[0]["reviewed_at"].endswith("Z") and "T" in lines[0]["reviewed_at"]
        post(server, {"row": second["row"], "action": "keep"})
        status, answer = post(server, {"row": first["row"], "action": "drop", "new_label": "ignored"})
        assert status == 200 and answer["decision"]["action"] == "drop"
        lines = _lines(out / "corrections.csv")
        assert [(int(x["row"]), x["action"], x["new_label"]) for x in lines] == sorted(
            [(first["row"], "drop", ""), (second["row"], "keep", "")]
        )
        post(server, {"row": second["row"], "action": "clear"})
        assert [int(x["row"]) for x in _lines(out / "corrections.csv")] == [first["row"]]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_reopening_resumes(out):
    with serving(out) as server:
        row = server.review.rows[2]["row"]
        post(server, {"row": row, "action": "keep"})
    with serving(out) as server:
        decisions = page_data(_get(server.url)[1])["decisions"]
        assert list(decisions) == [str(row)] and decisions[str(row)]["action"] == "keep"
        post(server, {"row": server.review.rows[0]["row"], "action": "drop"})
        assert len(_lines(out / "corrections.csv")) == 2


@pytest.mark.parametrize(
    "body, why",
    [
        ({"row": 10**6, "action": "drop"}, "not one of the flagged rows"),
        ({"row": "0", "action": "drop"}, "not one of the flagged rows"),
        ({"row": None, "action": "relabel", "new_label": "blue"}, "not one of the flagged rows"),
        ({"action": "drop"}, "not one of the flagged rows"),
        ({"row": "FIRST", "action": "delete"}, "action 'delete'"),
        ({"row": "FIRST", "action": "relabel", "new_label": "no such class"}, "not one of the classes"),
        ({"row": "FIRST", "action": "relabel"}, "not one of the classes"),
        ([1, 2], "JSON object"),
        (b"{not json", "Expecting"),
    ],
)
def test_bad_posts_are_refused_with_400_and_change_nothing(out, body, why):
    with serving(out) as server:
        first = server.review.rows[0]["row"]
        if isinstance(body, dict) and body.get("row") == "FIRST":
            body = {**body, "row": first}
        status, answer = post(server, body)
        assert status == 400 and why in answer["error"]
    assert not (out / "corrections.csv").exists()


def test_wrong_token_type_or_host_is_refused(out):
    with serving(out) as server:
        row = server.review.rows[0]["row"]
        assert post(server, {"row": row, "action": "drop"}, token="")[0] == 403
        assert post(server, {"row": row, "action": "drop"}, token=server.token + "x")[0] == 403
        assert post(server, {"row": row, "action": "drop"}, kind="text/plain")[0] == 400
        assert post(server, {"row": row, "action": "drop"}, kind="application/x-www-form-urlencoded")[0] == 400
        assert post(server, {"row": row, "action": "drop"}, host=f"evil.example:{server.port}")[0] == 403
    assert not (out / "corrections.csv").exists()


def test_static_page_embeds_rows_and_earlier_decisions(out):
    with serving(out) as server:
        row = server.review.rows[0]["row"]
        post(server, {"row": row, "action": "keep"})
    page = write_static_page(load_review_folder(out))
    html = page.read_text(encoding="utf-8")
    data = page_data(html)
    assert page == out / "review.html" and data["mode"] == "static" and data["token"] == ""
    assert len(data["rows"]) == len(load_review_folder(out).rows) and list(data["decisions"]) == [str(row)]
    assert "Download corrections.csv" in html and "Content-Security-Policy" in html
    assert SCRIPT_LABEL not in html and IMG_LABEL not in html
