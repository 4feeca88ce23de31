"""Atomic writes and the rule that outputs never overwrite inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from cleanaudit.data.write import atomic_write_bytes, atomic_write_text, ensure_not_input, write_frame
from cleanaudit.errors import ConfigError, InputError


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


# --- sets of files: FolderSet (--out) and FileSet (clean's outputs) ----------------------------

from cleanaudit.data import write as write_module  # noqa: E402
from cleanaudit.data.targets import check_file_target, check_folder_target, foreign_entries  # noqa: E402
from cleanaudit.data.write import FileSet, FolderSet  # noqa: E402

OWN = {"report.json", "issues.csv"}


def beside(target):
    """Entries next to ``target`` other than itself (temp folders would show up here)."""
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def test_folder_set_appears_only_when_committed(tmp_path):
    target = tmp_path / "deep" / "report"
    with FolderSet(target, own_names=OWN) as staged:
        atomic_write_text(staged.path / "report.json", "{}")
        assert not target.exists() and staged.path.parent == target.parent and staged.path.name.startswith(".")
        staged.commit()
    assert sorted(p.name for p in target.iterdir()) == ["report.json"] and beside(target) == []
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.parametrize("atomic_swap", [True, False], ids=["exchange", "two-renames"])
def test_folder_set_replaces_an_earlier_set_as_a_whole(tmp_path, monkeypatch, atomic_swap):
    if not atomic_swap:  # where renameat2(RENAME_EXCHANGE) is missing: move aside, move in, remove
        monkeypatch.setattr(write_module, "_exchange", lambda a, b: False)
    target = tmp_path / "report"
    target.mkdir(mode=0o750)
    (target / "report.json").write_text("old")
    (target / "issues.csv").write_text("old rows")
    with FolderSet(target, own_names=OWN) as staged:
        atomic_write_text(staged.path / "report.json", "new")
        staged.commit()
    assert [p.name for p in target.iterdir()] == ["report.json"] and (target / "report.json").read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o750 and beside(target) == []


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_folder_set_failure_keeps_the_earlier_set_and_no_temp(tmp_path, failure):
    target = tmp_path / "report"
    target.mkdir()
    (target / "report.json").write_text("old")
    with pytest.raises(failure):
        with FolderSet(target, own_names=OWN) as staged:
            atomic_write_text(staged.path / "report.json", "new")
            raise failure()
    assert (target / "report.json").read_text() == "old" and beside(target) == []


def test_folder_set_removes_the_parents_it_made(tmp_path):
    with pytest.raises(RuntimeError):
        with FolderSet(tmp_path / "a" / "b" / "report"):
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_interrupted_cleanup_still_finishes(tmp_path, monkeypatch):
    # Ctrl-C while the temp folder is being removed: the removal runs to its end, then the interrupt is raised.
    calls = []
    real_rmtree = write_module.shutil.rmtree

    def rmtree(path, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real_rmtree(path, **kwargs)

    monkeypatch.setattr(write_module.shutil, "rmtree", rmtree)
    target = tmp_path / "report"
    with pytest.raises(KeyboardInterrupt):
        with FolderSet(target) as staged:
            atomic_write_text(staged.path / "report.json", "{}")
            raise RuntimeError("a failure, then Ctrl-C during the clean-up")
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("after, survivor", [(1, "old"), (2, "new")], ids=["set-aside", "moved-in"])
def test_interrupt_during_the_two_rename_swap_leaves_one_set(tmp_path, monkeypatch, after, survivor):
    monkeypatch.setattr(write_module, "_exchange", lambda a, b: False)
    target = tmp_path / "report"
    target.mkdir()
    (target / "report.json").write_text("old")
    real_rename, seen = os.rename, []

    def rename(src, dst):
        real_rename(src, dst)
        seen.append(dst)
        if len(seen) == after:  # 1: the earlier set was just moved aside; 2: the new one just moved in
            raise KeyboardInterrupt

    monkeypatch.setattr(write_module.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        with FolderSet(target, own_names=OWN) as staged:
            atomic_write_text(staged.path / "report.json", "new")
            staged.commit()
    assert (target / "report.json").read_text() == survivor and beside(target) == []


def test_folder_target_checks(tmp_path, monkeypatch):
    data = tmp_path / "in" / "data.csv"
    data.parent.mkdir()
    data.write_text("a\n1\n")
    inputs = [("DATA", data)]
    with pytest.raises(InputError, match="would replace the input file .*data.csv"):
        check_folder_target(tmp_path / "in", inputs)
    with pytest.raises(InputError, match="is the input file"):
        check_folder_target(data, inputs)
    with pytest.raises(InputError, match="is inside the --baseline folder"):
        check_folder_target(tmp_path / "in" / "sub", [("--baseline", tmp_path / "in")])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match=r"not from a cleanaudit report \(notes.txt\)"):
        check_folder_target(tmp_path / "mine", own_names=OWN)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        check_folder_target(tmp_path / "file")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        check_folder_target(tmp_path / "file" / "report")
    monkeypatch.chdir(tmp_path / "mine")
    (tmp_path / "mine" / "notes.txt").unlink()
    with pytest.raises(ConfigError, match="working folder"):
        check_folder_target(Path("."))
    check_folder_target(tmp_path / "new" / "report", inputs)  # fine, and leaves nothing behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "in", "mine"]


def test_foreign_entries(tmp_path):
    (tmp_path / "report.json").write_text("{}")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "issues.csv").write_text("")
    assert foreign_entries(tmp_path, OWN) == []
    (tmp_path / "good" / "data.csv").write_text("")
    (tmp_path / "README").write_text("")
    assert foreign_entries(tmp_path, OWN) == ["README", "good/data.csv"]


def test_file_target_checks(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    with pytest.raises(InputError, match="--output .*data.csv is the input file"):
        check_file_target(data, [("DATA", data)], option="--output")
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        check_file_target(tmp_path / "dir", option="--output")
    with pytest.raises(ConfigError, match="not a folder"):
        check_file_target(data / "c.csv", option="--output")
    check_file_target(tmp_path / "new" / "c.csv", [("DATA", data)], option="--output")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "dir"]


def test_file_set_commits_together_or_not_at_all(tmp_path):
    table, manifest = tmp_path / "c.csv", tmp_path / "c.manifest.csv"
    manifest.write_text("old manifest")
    with pytest.raises(RuntimeError):
        with FileSet() as files:
            files.write(table, lambda temp: write_frame(pd.DataFrame({"a": [1]}), temp))
            files.write(manifest, lambda temp: write_frame(pd.DataFrame({"m": [1]}), temp))
            raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == ["c.manifest.csv"] and manifest.read_text() == "old manifest"
    with FileSet() as files:
        files.write(table, lambda temp: write_frame(pd.DataFrame({"a": [1]}), temp))
        files.write(manifest, lambda temp: write_frame(pd.DataFrame({"m": [1]}), temp))
        files.commit()
    assert pd.read_csv(table).a.tolist() == [1] and pd.read_csv(manifest).m.tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "c.manifest.csv"]


def test_file_set_errors_name_the_real_file(tmp_path):
    def fail(temp):
        raise ConfigError(f"cannot save the model to {temp}: no", hint="try again")

    with pytest.raises(ConfigError) as excinfo:
        with FileSet() as files:
            files.write(tmp_path / "m.skops", fail)
    assert str(tmp_path / "m.skops") in str(excinfo.value) and ".tmp" not in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []
