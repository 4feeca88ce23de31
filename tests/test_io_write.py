"""Atomic writes and the rule that outputs never overwrite inputs."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from cleanaudit.errors import ConfigError, InputError
from cleanaudit.io.write import atomic_write_bytes, atomic_write_text, ensure_not_input, write_frame


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_creates_folders_and_replaces(tmp_path):
    target = tmp_path / "out" / "deep" / "report.json"
    atomic_write_bytes(target, b"first")
    atomic_write_text(target, "second ✓")
    assert target.read_text(encoding="utf-8") == "second ✓"
    assert leftovers(target.parent) == []


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    atomic_write_bytes(tmp_path / "a.txt", b"x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_write_frame_round_trip(tmp_path, name):
    frame = pd.DataFrame({"row": [0, 1, 2], "label": ["a", "b", "a"], "score": [0.5, 0.25, 1.0]})
    write_frame(frame, tmp_path / name)
    back = pd.read_csv(tmp_path / name) if name.endswith(".csv") else pd.read_parquet(tmp_path / name)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "rows.parquet"
    target.write_bytes(b"old")
    unconvertible = pd.DataFrame({"mixed": [object(), 1]})  # pyarrow cannot store arbitrary objects
    with pytest.raises(Exception):
        write_frame(unconvertible, target)
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_frame_unknown_suffix(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "rows.xlsx")
    assert "rows.xlsx" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_writing_over_a_folder_or_into_a_file_fails_cleanly(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConfigError) as excinfo:
        atomic_write_bytes(tmp_path / "dir", b"x")
    assert "dir" in str(excinfo.value)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError) as excinfo:
        atomic_write_bytes(tmp_path / "file" / "report.json", b"x")
    assert "report.json" in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_ensure_not_input(tmp_path, monkeypatch):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    monkeypatch.chdir(tmp_path)
    ensure_not_input(tmp_path / "out.csv", [data, "-"])
    for same in (data, tmp_path / "." / "data.csv", type(data)("data.csv")):
        with pytest.raises(InputError) as excinfo:
            ensure_not_input(same, [data])
        assert "data.csv" in str(excinfo.value) and "\n" not in str(excinfo.value)
    (tmp_path / "link.csv").symlink_to(data)
    with pytest.raises(InputError):
        ensure_not_input(tmp_path / "link.csv", [data])
    os.link(data, tmp_path / "hard.csv")
    with pytest.raises(InputError):
        ensure_not_input(tmp_path / "hard.csv", [data])
