"""noise-matrix reproduces the reference's latent estimates on the tutorial data."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _noise(cli, tutorial_dir, probs, *extra):
    result = cli(
        "noise-matrix",
        tutorial_dir / "train.csv",
        "-l",
        "y_int",
        "--ignore",
        "y",
        "--pred-probs",
        tutorial_dir / probs,
        "--format",
        "json",
        *extra,
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_cv5_confident_joint_as_published(cli, tutorial_dir):
    out = _noise(cli, tutorial_dir, "pred_probs_cv5_seed0_logreg.npy")
    assert out["confident_joint"] == [[68, 0, 8, 8], [5, 46, 3, 0], [15, 3, 32, 13], [2, 1, 12, 34]]


def test_cv3_matrices_match_reference(cli, tutorial_dir, reference):
    ref = reference["on_pred_probs_cv3_logreg"]
    out = _noise(cli, tutorial_dir, "pred_probs_cv3_logreg.npy")
    assert out["confident_joint"] == ref["confident_joint_calibrated"]
    for key in ("py", "noise_matrix", "inverse_noise_matrix", "joint"):
        np.testing.assert_allclose(out[key], ref[key], atol=1e-12, err_msg=key)
    assert out["converge_latent_estimates"] is False and out["py_method"] == "cnt"


def test_converged_estimates_are_consistent(cli, tutorial_dir):
    out = _noise(
        cli, tutorial_dir, "pred_probs_cv3_logreg.npy", "--converge-latent-estimates", "--py-method", "marginal"
    )
    nm, py = np.array(out["noise_matrix"]), np.array(out["py"])
    np.testing.assert_allclose(nm.sum(axis=0), 1.0, atol=1e-9)
    assert py.sum() == pytest.approx(1.0)


def test_table_names_classes(cli, tutorial_dir):
    result = cli(
        "noise-matrix",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
    )
    assert result.exit_code == 0, result.stderr
    for title in ("Confident joint", "Noise matrix", "Inverse noise matrix", "seafoam green"):
        assert title in result.stdout


def test_many_classes_show_py_only_and_keep_every_matrix_in_json(cli, tmp_path):
    """K x K tables beyond 50 classes are not rendered (unreadable, K^2 cells); JSON still holds them all."""
    import json

    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    k, n = 60, 1200
    labels = np.arange(n) % k
    probs = rng.dirichlet(np.ones(k) * 0.3, n)
    probs[np.arange(n), labels] += 2
    probs /= probs.sum(axis=1, keepdims=True)
    pd.DataFrame({"x": rng.normal(size=n), "y": [f"c{c:02d}" for c in labels]}).to_csv(tmp_path / "d.csv", index=False)
    np.save(tmp_path / "p.npy", probs)
    shown = cli("noise-matrix", tmp_path / "d.csv", "-l", "y", "--pred-probs", tmp_path / "p.npy")
    assert shown.exit_code == 0, shown.stderr
    assert "Prior of true" in shown.stdout and "Confident joint" not in shown.stdout  # the title wraps
    assert "60 x 60 matrices are too wide to show" in shown.stdout
    out = json.loads(
        cli("noise-matrix", tmp_path / "d.csv", "-l", "y", "--pred-probs", tmp_path / "p.npy", "-f", "json").stdout
    )
    assert len(out["confident_joint"]) == k and all(len(row) == k for row in out["noise_matrix"])


def test_csv_writes_every_matrix(cli, tutorial_dir):
    import csv
    import io

    args = ["noise-matrix", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    args.append(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    as_json = json.loads(cli(*args, "--format", "json").stdout)
    result = cli(*args, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["matrix", "row_class", "column_class", "value"]
    names = as_json["dataset"]["class_names"]
    k = len(names)
    assert len(rows) == k + 4 * k * k
    by_matrix: dict = {}
    for row in rows:
        by_matrix.setdefault(row["matrix"], []).append(row)
    assert set(by_matrix) == {"py", "noise_matrix", "inverse_noise_matrix", "confident_joint", "joint"}
    assert [float(r["value"]) for r in by_matrix["py"]] == pytest.approx(as_json["py"])
    for key in ("noise_matrix", "inverse_noise_matrix", "confident_joint", "joint"):
        cells = {(r["row_class"], r["column_class"]): float(r["value"]) for r in by_matrix[key]}
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                assert cells[(a, b)] == pytest.approx(as_json[key][i][j]), key


def test_piped_tables_with_long_class_names_are_complete(cli, tmp_path):
    import pandas as pd

    names = [f"a class with a rather long name, number {i}" for i in range(6)]
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(6), 20)
    frame = pd.DataFrame({"x": rng.normal(size=labels.size), "y": [names[i] for i in labels]})
    frame.to_csv(tmp_path / "long.csv", index=False)
    probs = 0.6 * np.eye(6)[labels] + 0.4 * rng.dirichlet(np.ones(6), size=labels.size)
    np.save(tmp_path / "p.npy", probs)
    result = cli("noise-matrix", tmp_path / "long.csv", "-l", "y", "--pred-probs", tmp_path / "p.npy")
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    header = next(line for line in result.stdout.splitlines() if "given \\ true" in line)
    assert all(name in header for name in sorted(names)), "every class name whole in the header"
    assert max(len(line) for line in result.stdout.splitlines()) > 160  # wider than COLUMNS, as it needs
