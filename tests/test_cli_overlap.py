"""overlap reproduces the reference's overlapping class pairs on the tutorial data."""

from __future__ import annotations

import json

import pytest


def _overlap(cli, tutorial_dir, *extra):
    result = cli("overlap", tutorial_dir / "train.csv", "-l", "y_int", "--ignore", "y", "--pred-probs",
                 tutorial_dir / "pred_probs_cv3_logreg.npy", "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_pairs_match_reference(cli, tutorial_dir, reference):
    ref = reference["on_pred_probs_cv3_logreg"]["find_overlapping_classes"]["columns"]
    out = _overlap(cli, tutorial_dir)
    pairs = out["pairs"]
    assert [(p["class_a"], p["class_b"]) for p in pairs] == list(zip(ref["Class Index A"], ref["Class Index B"]))
    assert [p["num_overlapping_examples"] for p in pairs] == ref["Num Overlapping Examples"]
    assert [p["joint_probability"] for p in pairs] == pytest.approx(ref["Joint Probability"], abs=1e-12)


def test_asymmetric_lists_both_directions(cli, tutorial_dir):
    out = _overlap(cli, tutorial_dir, "--asymmetric")
    pairs = {(p["class_a"], p["class_b"]): p["joint_probability"] for p in out["pairs"]}
    assert len(pairs) == 12
    symmetric = _overlap(cli, tutorial_dir)["pairs"][0]
    a, b = symmetric["class_a"], symmetric["class_b"]
    assert pairs[(a, b)] + pairs[(b, a)] == pytest.approx(symmetric["joint_probability"])


def test_top_limits_pairs(cli, tutorial_dir):
    assert len(_overlap(cli, tutorial_dir, "--top", "2")["pairs"]) == 2
