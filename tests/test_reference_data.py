"""The vendored tutorial reference data is the team's shared copy, byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REPO, TUTORIAL

SHARED = REPO.parent / "shared" / "data" / "tutorial"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared folder is not beside this clone")
@pytest.mark.parametrize(
    "path", sorted(p for p in TUTORIAL.iterdir() if p.suffix in {".npy", ".json", ".csv"}), ids=lambda p: p.name
)
def test_vendored_copy_is_identical(path):
    assert path.read_bytes() == (SHARED / path.name).read_bytes()


def test_reference_files_are_consistent():
    by_index = np.load(TUTORIAL / "pred_probs_cv3_logreg.npy")
    by_name = np.load(TUTORIAL / "pred_probs_cv3_logreg_by_name.npy")
    # y_int order is purple, blue, seafoam green, yellow; name order is blue, purple, seafoam green, yellow.
    assert np.array_equal(by_index[:, [1, 0, 2, 3]], by_name)
    reference = json.loads((TUTORIAL / "reference.json").read_text())
    assert reference["on_pred_probs_cv3_logreg"]["find_label_issues"]["prune_by_noise_rate"]["num_issues"] == 64
