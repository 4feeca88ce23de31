"""Shared fixtures: where the reference data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
# The tutorial data with the reference's pred_probs and outputs (reference.json), vendored
# from the team's shared folder so that the tests pass on a fresh clone.
TUTORIAL = SAMPLE / "tutorial"


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
