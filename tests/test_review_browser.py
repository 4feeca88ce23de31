"""The review page in a real browser: headless Chromium driven by selenium.

Skipped (with the reason) when chromium, chromedriver or selenium is missing, except in CI (the
CI variable set), where they must be there: .ci/run installs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from pathlib import Path

import pytest
from review_cases import IMG_LABEL, SCRIPT_LABEL, audited_folder, serving

CHROMIUM = os.environ.get("CLEANAUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CLEANAUDIT_CHROMEDRIVER", "/usr/bin/chromedriver")


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).is_file():
            return f"{path} not found (apt-get install {package})"
    return None


MISSING = _missing()
if MISSING and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the browser tests: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"browser tests need headless Chromium: {MISSING}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return audited_folder(tmp_path_factory.mktemp("review-browser"))


@pytest.fixture
def out(audited, tmp_path):
    data, folder = audited
    shutil.copytree(folder, tmp_path / "out")
    return tmp_path / "out"


def _wait(condition, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _press(driver, keys: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.TAG_NAME, "body").send_keys(keys)


def _text(driver, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector).text


def _no_alert(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is the check


def test_page_lists_the_flagged_rows_and_shortcuts(browser, out):
    from selenium.webdriver.common.by import By

    with serving(out) as server:
        browser.get(server.url)
        rows = server.review.rows
        listed = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#list tr"))
        assert len(listed) == len(rows)
        assert [int(tr.get_attribute("data-row")) for tr in listed[:5]] == [r["row"] for r in rows[:5]]
        assert _text(browser, "#progress") == f"Reviewed 0 / {len(rows)}"
        assert f"Row {rows[0]['row']}" in _text(browser, "#detail h2")
        shortcuts = _text(browser, "#shortcut-list")
        assert "accept the suggested label" in shortcuts and "drop the row" in shortcuts


def test_shortcuts_record_decisions_and_a_reload_resumes(browser, out):
    with serving(out) as server:
        rows, classes = server.review.rows, server.review.class_names
        browser.get(server.url)
        _wait(lambda: _text(browser, "#progress").startswith("Reviewed 0"))
        _press(browser, "a")
        _wait(lambda: len(_lines(out / "corrections.csv")) == 1)
        _press(browser, "d")
        _wait(lambda: len(_lines(out / "corrections.csv")) == 2)
        _press(browser, "s")  # skipped: no line
        _press(browser, "2")
        _wait(lambda: len(_lines(out / "corrections.csv")) == 3)
        got = {int(x["row"]): (x["id"], x["action"], x["new_label"]) for x in _lines(out / "corrections.csv")}
        accepted = ("keep", "") if rows[0]["suggested"] == rows[0]["given"] else ("relabel", rows[0]["suggested"])
        assert got == {
            rows[0]["row"]: (rows[0]["id"], *accepted),
            rows[1]["row"]: (rows[1]["id"], "drop", ""),
            rows[3]["row"]: (rows[3]["id"], "relabel", classes[1]),
        }
        browser.refresh()
        _wait(lambda: _text(browser, "#progress") == f"Reviewed 3 / {len(rows)}")
        assert f"Row {rows[2]['row']}" in _text(browser, "#detail h2")  # the first undecided row
        _press(browser, "\ue012")  # ← back to a decided row: its decision is shown
        assert _text(browser, "#decision").startswith("Decision: drop")
        _no_alert(browser)


def test_markup_in_labels_is_shown_as_text(browser, out):
    from selenium.webdriver.common.by import By

    with serving(out) as server:
        browser.get(server.url)
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#list tr"))
        _no_alert(browser)
        for label in (SCRIPT_LABEL, IMG_LABEL):
            row = next(r for r in server.review.rows if r["given"] == label)
            browser.find_element(By.CSS_SELECTOR, f'#list tr[data-row="{row["row"]}"]').click()
            assert _text(browser, "#detail .given") == label
            assert label in _text(browser, "#list")
        assert SCRIPT_LABEL in browser.find_element(By.ID, "f-class").get_attribute("textContent")
        assert browser.find_elements(By.TAG_NAME, "img") == []
        assert len(browser.find_elements(By.TAG_NAME, "script")) == 2  # the data block and the page's own
        _press(browser, "1")  # relabel to the <script> class: written literally
        _wait(lambda: _lines(out / "corrections.csv"))
        assert _lines(out / "corrections.csv")[0]["new_label"] == server.review.class_names[0]
        _no_alert(browser)


def test_static_page_downloads_the_same_csv(browser, out):
    from cleanaudit.review import load_review_folder, write_static_page

    review = load_review_folder(out)
    page = write_static_page(review)
    browser.get(page.as_uri())
    _wait(lambda: _text(browser, "#progress").startswith("Reviewed 0"))
    _press(browser, "k")
    _press(browser, "d")
    _wait(lambda: _text(browser, "#progress").startswith("Reviewed 2"))
    browser.refresh()  # kept in localStorage
    _wait(lambda: _text(browser, "#progress").startswith("Reviewed 2"))
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "download").click()
    target = browser.downloads / "corrections.csv"
    _wait(target.is_file)
    lines = _wait(lambda: _lines(target))
    assert [(int(x["row"]), x["id"], x["action"]) for x in lines] == sorted(
        [(review.rows[0]["row"], review.rows[0]["id"], "keep"), (review.rows[1]["row"], review.rows[1]["id"], "drop")]
    )
    assert target.read_text(encoding="utf-8").splitlines()[0] == "row,id,action,new_label,reviewed_at"
    browser.execute_script("localStorage.clear()")


def test_clean_applies_what_was_clicked(browser, audited, out, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    data, _ = audited
    with serving(out) as server:
        rows = server.review.rows
        browser.get(server.url)
        _wait(lambda: _text(browser, "#progress").startswith("Reviewed 0"))
        _press(browser, "a")
        _press(browser, "d")
        _wait(lambda: len(_lines(out / "corrections.csv")) == 2)
    cleaned = tmp_path / "cleaned.csv"
    args = ["clean", str(data), "-l", "y", "--ignore", "y_int", "--id-column", "rid"]
    result = CliRunner().invoke(app, [*args, "--corrections", str(out / "corrections.csv"), "--output", str(cleaned)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(cleaned)
    assert rows[1]["id"] not in set(table["rid"])
    assert table.set_index("rid").loc[rows[0]["id"], "y"] == rows[0]["suggested"]  # accepted (or kept as it was)
