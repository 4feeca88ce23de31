"""overlap reproduces the reference's overlapping class pairs on the tutorial data."""

from __future__ import annotations

import json

import pytest


def _overlap(cli, tutorial_dir, *extra):
    result = cli(
        "overlap",
        tutorial_dir / "train.csv",
        "-l",
        "y_int",
        "--ignore",
        "y",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg.npy",
        "--format",
        "json",
        *extra,
    )
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


@pytest.fixture(scope="module")
def many_classes(tmp_path_factory):
    """3,000 rows over 300 classes (44,850 pairs, most of them 0), as a CSV and a pred_probs file."""
    import numpy as np
    import pandas as pd
    from test_checks_label import many_classes as generate

    labels, probs = generate(3000, 300, seed=1)
    n, k = probs.shape
    rng = np.random.default_rng(1)
    folder = tmp_path_factory.mktemp("many_classes")
    names = np.array([f"c{i:03d}" for i in range(k)])
    pd.DataFrame({"f0": rng.normal(size=n), "f1": rng.normal(size=n), "y": names[labels]}).to_csv(
        folder / "data.csv", index=False
    )
    np.save(folder / "probs.npy", probs)
    return folder, labels, probs, names


def _many(cli, many_classes, *extra):
    folder = many_classes[0]
    result = cli(
        "overlap", folder / "data.csv", "-l", "y", "--pred-probs", folder / "probs.npy", "--format", "json", *extra
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_many_classes_keep_the_largest_pairs(cli, many_classes):
    from cleanlab.dataset import find_overlapping_classes

    from cleanaudit.cli.label_commands import PAIRS_TOP_DEFAULT

    _, labels, probs, names = many_classes
    out, stderr = _many(cli, many_classes)
    total = 300 * 299 // 2
    assert len(out["pairs"]) == PAIRS_TOP_DEFAULT
    assert out["pairs_total"] == total and out["pairs_left_out"] == total - PAIRS_TOP_DEFAULT
    assert f"{PAIRS_TOP_DEFAULT} most overlapping of {total:,}" in stderr
    # The reference's first rows of the full computation, ties included.
    ref = find_overlapping_classes(labels, probs, class_names=list(names)).head(PAIRS_TOP_DEFAULT)
    assert [(p["class_a"], p["class_b"]) for p in out["pairs"]] == list(zip(ref["Class Name A"], ref["Class Name B"]))
    assert [p["num_overlapping_examples"] for p in out["pairs"]] == ref["Num Overlapping Examples"].tolist()
    assert [p["joint_probability"] for p in out["pairs"]] == ref["Joint Probability"].tolist()


def test_many_classes_top_changes_the_cap(cli, many_classes):
    out, _ = _many(cli, many_classes, "--top", "7")
    assert len(out["pairs"]) == 7 and out["pairs_left_out"] == out["pairs_total"] - 7
    everything, _ = _many(cli, many_classes, "--top", "0", "--asymmetric")
    assert len(everything["pairs"]) == everything["pairs_total"] == 300 * 299
    assert everything["pairs_left_out"] == 0
