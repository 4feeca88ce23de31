"""Shared fixtures: where the reference data lives, the CLI runner, a private pred_probs cache per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
# The tutorial data with the reference's pred_probs and outputs (reference.json), vendored
# from the team's shared folder so that the tests pass on a fresh clone.
TUTORIAL = SAMPLE / "tutorial"


@pytest.fixture(scope="session", autouse=True)
def _session_pred_probs_cache(tmp_path_factory):
    """A pred_probs cache for fixtures set up before a test's own (module/session scope), never the user's."""
    before = os.environ.get("CLEANAUDIT_CACHE_DIR")
    os.environ["CLEANAUDIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("session-cache"))
    yield
    if before is None:
        os.environ.pop("CLEANAUDIT_CACHE_DIR", None)
    else:
        os.environ["CLEANAUDIT_CACHE_DIR"] = before


@pytest.fixture(autouse=True)
def _pred_probs_cache(tmp_path_factory, monkeypatch):
    """Each test its own pred_probs cache (through the environment, so subprocesses get it too):
    the CLI caches by default, and no test may see another's entries or write the user's cache."""
    monkeypatch.setenv("CLEANAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def tutorial_dir() -> Path:
    return TUTORIAL


@pytest.fixture()
def cli():
    """Run the CLI in process; returns Typer's Result (``.exit_code``, ``.stdout``, ``.stderr``)."""
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, **kwargs):
        env = {"COLUMNS": "160", "NO_COLOR": "1", **kwargs.pop("env", {})}
        return runner.invoke(app, [str(a) for a in args], env=env, **kwargs)

    return invoke


@pytest.fixture(scope="session")
def reference(tutorial_dir: Path) -> dict:
    """What the reference implementation computes on the tutorial data (reference.json)."""
    import json

    return json.loads((tutorial_dir / "reference.json").read_text())
