"""Shared fixtures: where the reference data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
# shared/ sits beside the repository on developer machines and in CI.
SHARED_TUTORIAL = REPO.parent / "shared" / "data" / "tutorial"


@pytest.fixture(scope="session")
def tutorial_dir() -> Path:
    if not SHARED_TUTORIAL.is_dir():
        pytest.fail(f"reference data not found at {SHARED_TUTORIAL}")
    return SHARED_TUTORIAL
