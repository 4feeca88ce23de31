"""Every command that writes files says on stderr what it wrote (one line per set; none with --quiet)."""

from __future__ import annotations

import pandas as pd

PRED_PROBS = "pred_probs_cv3_logreg_by_name.npy"


def test_clean_output_says_the_files_and_rows(cli, tutorial_dir, tmp_path):
    output = tmp_path / "cleaned.csv"
    args = ["clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    result = cli(*args, tutorial_dir / PRED_PROBS, "--output", output)
    assert result.exit_code == 0, result.stderr
    rows = len(pd.read_csv(output))
    line = next(x for x in result.stderr.splitlines() if x.startswith("cleanaudit: wrote"))
    assert line == f"cleanaudit: wrote {output} ({rows} rows), manifest {tmp_path / 'cleaned.manifest.csv'}"
    quiet = cli(*args, tutorial_dir / PRED_PROBS, "--output", tmp_path / "again.csv", "-q")
    assert quiet.exit_code == 0 and "wrote" not in quiet.stderr


def test_dry_run_writes_nothing_and_says_no_file(cli, tutorial_dir):
    args = ["clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    result = cli(*args, tutorial_dir / PRED_PROBS, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "cleanaudit: wrote" not in result.stderr


def test_noise_matrix_out_says_what_it_wrote(cli, tutorial_dir, tmp_path):
    args = ["noise-matrix", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    result = cli(*args, tutorial_dir / PRED_PROBS, "--out", tmp_path / "nm")
    assert result.exit_code == 0, result.stderr
    assert f"cleanaudit: wrote {tmp_path / 'nm'}/: report.json" in result.stderr


def test_batch_says_the_index_and_folders(cli, tutorial_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    train = pd.read_csv(tutorial_dir / "train.csv")[["x1", "x2", "y"]]
    train.to_csv(data / "a.csv", index=False)
    train.iloc[::-1].to_csv(data / "b.csv", index=False)
    out = tmp_path / "out"
    result = cli("audit", data, "-l", "y", "--checks", "outlier,null", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert f"cleanaudit: wrote {out}/: index.json, index.csv, index.md, a/, b/" in result.stderr
