"""The pred_probs cache: its folder, its key, and entries that are stored, reused or ignored."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.dataset import Dataset
from cleanaudit.models import cache
from cleanaudit.models.crossval import PredProbsResult
from cleanaudit.models.select import Candidate

KEY_ARGS = dict(model="logreg", model_params={}, trusted_modules=[], cv=5, seed=0, versions={"numpy": "2"})


def _dataset(values=(0.0, 1.0, 2.0, 3.0), labels=(0, 0, 1, 1), sha="ab" * 32) -> Dataset:
    features = pd.DataFrame({"x": list(values)})
    frame = features.assign(y=["a" if c == 0 else "b" for c in labels])
    return Dataset(frame, features, np.array(labels), ["a", "b"], "y", sha256=sha)


def _result(n: int = 4) -> PredProbsResult:
    probs = np.tile([0.25, 0.75], (n, 1))
    candidates = [Candidate("logreg", 0.5, 0.75, 0.1), Candidate("knn", float("inf"), float("nan"), 0.0, "boom")]
    return PredProbsResult(probs, "auto:logreg", 5, 0, "cross-validation", candidates, ["UserWarning: x"])


def test_folder_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("CLEANAUDIT_CACHE_DIR", str(tmp_path / "env"))
    assert cache.cache_folder(tmp_path / "flag") == tmp_path / "flag"
    assert cache.cache_folder(None) == tmp_path / "env"
    monkeypatch.delenv("CLEANAUDIT_CACHE_DIR")
    monkeypatch.setattr(cache.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_folder(None) == tmp_path / "xdg" / "cleanaudit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_folder(None) == Path.home() / ".cache" / "cleanaudit"
    monkeypatch.setattr(cache.sys, "platform", "darwin")
    assert cache.cache_folder(None) == Path.home() / "Library" / "Caches" / "cleanaudit"
    monkeypatch.setattr(cache.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert cache.cache_folder(None) == tmp_path / "local" / "cleanaudit" / "Cache"


def test_key_changes_with_everything_that_decides_the_numbers():
    ds = _dataset()
    base = cache.pred_probs_key(ds, **KEY_ARGS)
    assert base == cache.pred_probs_key(_dataset(), **KEY_ARGS)  # stable across calls
    variants = [
        cache.pred_probs_key(_dataset(sha="cd" * 32), **KEY_ARGS),
        cache.pred_probs_key(_dataset(values=(0.0, 1.0, 2.0, 4.0)), **KEY_ARGS),
        cache.pred_probs_key(_dataset(labels=(0, 1, 0, 1)), **KEY_ARGS),
        cache.pred_probs_key(replace(ds, label_column="z"), **KEY_ARGS),
        cache.pred_probs_key(replace(ds, features=ds.features.astype("float32")), **KEY_ARGS),
        cache.pred_probs_key(replace(ds, features=ds.features.rename(columns={"x": "w"})), **KEY_ARGS),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "model": "knn"}),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "model_params": {"C": 0.5}}),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "trusted_modules": ["mypkg"]}),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "cv": 3}),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "seed": 1}),
        cache.pred_probs_key(ds, **{**KEY_ARGS, "versions": {"numpy": "3"}}),
        cache.pred_probs_key(ds, **KEY_ARGS, extra={"train_sha256": "ef"}),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


def test_key_follows_roles_and_analysed_rows_when_the_dataset_has_them():
    ds = _dataset()
    base = cache.pred_probs_key(ds, **KEY_ARGS)
    with_roles = _dataset()
    with_roles.roles = {"x": "numeric"}  # type: ignore[attr-defined]
    other_roles = _dataset()
    other_roles.roles = {"x": "id_like"}  # type: ignore[attr-defined]
    subset = _dataset()
    subset.positions = np.array([0, 1, 2, 4])  # type: ignore[attr-defined]
    keys = {cache.pred_probs_key(d, **KEY_ARGS) for d in (with_roles, other_roles, subset)}
    assert base not in keys and len(keys) == 3


def test_store_then_load_gives_the_same_result(tmp_path):
    result = _result()
    assert cache.store_result(tmp_path, "k1", result) is None
    loaded = cache.load_result(tmp_path, "k1", num_examples=4, num_classes=2)
    assert loaded is not None
    assert np.array_equal(loaded.pred_probs, result.pred_probs) and loaded.pred_probs.dtype == np.float64
    assert (loaded.model, loaded.cv_folds, loaded.seed, loaded.source) == ("auto:logreg", 5, 0, "cross-validation")
    assert loaded.warnings == ["UserWarning: x"]
    assert loaded.candidates[0] == result.candidates[0]
    assert loaded.candidates[1].error == "boom" and loaded.candidates[1].log_loss == float("inf")
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "pred_probs").iterdir())  # written atomically


@pytest.mark.parametrize("damage", ["truncate_npy", "garbage_json", "other_key", "no_json", "pickle", "shape"])
def test_damaged_or_mismatched_entries_are_ignored(tmp_path, damage):
    cache.store_result(tmp_path, "k1", _result())
    npy, info = cache.entry_paths(tmp_path, "k1")
    if damage == "truncate_npy":
        npy.write_bytes(npy.read_bytes()[:40])
    elif damage == "garbage_json":
        info.write_text("{not json")
    elif damage == "other_key":
        info.write_text(json.dumps({**json.loads(info.read_text()), "key": "k2"}))
    elif damage == "no_json":
        info.unlink()
    elif damage == "pickle":  # an object array whose digest matches: still never unpickled
        import hashlib
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        npy.write_bytes(buffer.getvalue())
        meta = json.loads(info.read_text())
        info.write_text(json.dumps({**meta, "npy_sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}))
    shape = (5, 2) if damage == "shape" else (4, 2)
    assert cache.load_result(tmp_path, "k1", num_examples=shape[0], num_classes=shape[1]) is None


def test_through_cache_computes_once_then_reuses(tmp_path):
    ds, calls = _dataset(), []

    def compute():
        calls.append(1)
        return _result()

    first = cache.through_cache(compute, ds, folder=tmp_path, **KEY_ARGS)
    second = cache.through_cache(compute, ds, folder=tmp_path, **KEY_ARGS)
    assert len(calls) == 1
    assert first.record is not None and first.record["hit"] is False and first.record["stored"] is True
    assert second.record is not None and second.record["hit"] is True and second.record["key"] == first.record["key"]
    assert [n.kind for n in second.notes] == ["pred_probs_cache"] and "--no-cache" in second.notes[0].message
    assert np.array_equal(first.result.pred_probs, second.result.pred_probs)
    off = cache.through_cache(compute, ds, folder=None, **KEY_ARGS)
    assert off.record is None and len(calls) == 2


def test_damaged_entry_is_recomputed_and_overwritten(tmp_path):
    ds = _dataset()
    first = cache.through_cache(_result, ds, folder=tmp_path, **KEY_ARGS)
    npy, _ = cache.entry_paths(tmp_path, first.record["key"])
    npy.write_bytes(b"\x93NUMPY garbage")
    again = cache.through_cache(_result, ds, folder=tmp_path, **KEY_ARGS)
    assert again.record["hit"] is False and again.record["stored"] is True
    assert cache.through_cache(_result, ds, folder=tmp_path, **KEY_ARGS).record["hit"] is True


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a folder root cannot write past")
def test_unwritable_folder_is_a_note_not_a_failure(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        outcome = cache.through_cache(_result, _dataset(), folder=locked / "c", **KEY_ARGS)
    finally:
        locked.chmod(0o700)
    assert outcome.record["stored"] is False and [n.kind for n in outcome.notes] == ["pred_probs_cache_failed"]


def test_a_file_where_the_folder_should_be_is_a_note_not_a_failure(tmp_path):
    (tmp_path / "c").write_text("not a folder")
    outcome = cache.through_cache(_result, _dataset(), folder=tmp_path / "c", **KEY_ARGS)
    assert outcome.result.model == "auto:logreg"
    assert outcome.record["stored"] is False and [n.kind for n in outcome.notes] == ["pred_probs_cache_failed"]
