"""Out-of-fold pred_probs cached between runs, so ``audit`` then ``health`` on one file fit once.

An entry is keyed by a SHA-256 of everything that decides the numbers (:func:`pred_probs_key`):
the input's digest, the label column and classes, the feature columns with their dtypes and
roles, the analysed rows, the model spec and parameters, the trusted modules, the folds, the seed,
the library versions and a digest of the code that encodes and fits. It is two files in
``FOLDER/pred_probs/``: ``KEY.npy`` (the array, read back with ``allow_pickle=False``, so no code
runs because of a cached file) and ``KEY.json`` (what the run reported about them: the model
chosen, the ``--model auto`` candidates, the warnings, and the array's own SHA-256). Each is
written atomically; an entry that is missing, damaged or for
other data is simply not used (the caller recomputes and overwrites it).

>>> folder = cache_folder("/tmp/ca-cache")
>>> folder.as_posix()
'/tmp/ca-cache'
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.events import Note

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.models.crossval import PredProbsResult

ENV_VAR = "CLEANAUDIT_CACHE_DIR"
FORMAT = 1  # bump when the entry layout or the key's meaning changes: older entries are then misses
SUBFOLDER = "pred_probs"


def cache_folder(given: str | Path | None = None) -> Path:
    """Where the cache lives: ``given`` (``--cache-dir``), else ``$CLEANAUDIT_CACHE_DIR``, else the platform's.

    The platform's user cache folder is ``$XDG_CACHE_HOME/cleanaudit`` or ``~/.cache/cleanaudit`` on
    Linux, ``~/Library/Caches/cleanaudit`` on macOS and ``%LOCALAPPDATA%\\cleanaudit\\Cache`` on Windows.

    >>> cache_folder("~/c") == Path.home() / "c"
    True
    """
    if given is not None and str(given) != "":
        return Path(given).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / "cleanaudit" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "cleanaudit"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache") / "cleanaudit"


def library_versions() -> dict[str, str]:
    """Versions that decide the numbers of a run, so it can be repeated exactly.

    >>> sorted(library_versions())
    ['cleanaudit', 'numpy', 'pandas', 'pyarrow', 'python', 'scikit-learn']
    """
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in ("cleanaudit", "numpy", "scikit-learn", "pandas", "pyarrow"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found[dist] = "unknown"
    return found


def dataset_key_parts(dataset: Dataset) -> dict[str, Any]:
    """What of ``dataset`` decides its pred_probs: input digest, label, classes, features, roles, rows.

    The feature values themselves are hashed too, so a change of encoding upstream (or a
    DataFrame edited in place between two calls) cannot reuse an entry made for other values.
    """
    features = dataset.features
    return {
        "input_sha256": dataset.sha256,
        "label_column": str(dataset.label_column),
        "class_names": [[type(c).__name__, str(c)] for c in dataset.class_names],
        "features": [[str(c), str(t)] for c, t in features.dtypes.items()],
        "feature_values": _frame_digest(features),
        "roles": _plain(dataset.roles),
        "feature_attrs": _plain(dict(features.attrs)),  # load-time roles also travel with the features
        "labels": _array_digest(dataset.labels),
        "positions": _array_digest(dataset.positions),
        "num_examples": dataset.num_examples,
    }


def pred_probs_key(
    dataset: Dataset,
    *,
    model: str,
    model_params: Mapping[str, Any] | None,
    trusted_modules: Sequence[str],
    cv: int,
    seed: int,
    versions: Mapping[str, str],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The cache key (hex SHA-256) of ``dataset``'s out-of-fold pred_probs with this model and folds.

    ``extra`` adds what else decides them (e.g. the training file of ``--train``). ``jobs`` is not
    part of it: the folds give the same numbers whatever the number of parallel jobs.
    """
    parts = {
        "format": FORMAT,
        "dataset": dataset_key_parts(dataset),
        "model": model,
        "model_version": _model_package_version(model),
        "model_params": _plain(dict(model_params or {})),
        "trusted_modules": sorted(str(m) for m in trusted_modules),
        "cv": int(cv),
        "seed": int(seed),
        "versions": dict(sorted(versions.items())),
        "code": _code_digest(),
        "extra": _plain(dict(extra or {})),
    }
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()


@dataclass
class CacheOutcome:
    """The pred_probs result (cached or fresh), the JSON ``run.cache`` record, and the notes to add."""

    result: PredProbsResult
    record: dict[str, Any] | None = None  # None: the cache was not used
    notes: list[Note] = field(default_factory=list)


def through_cache(
    compute: Callable[[], PredProbsResult], dataset: Dataset, *, folder: Path | None, **key_args: Any
) -> CacheOutcome:
    """``compute()``'s result, or the one an earlier run cached under the same key in ``folder``.

    ``folder`` ``None`` turns the cache off. ``key_args`` go to :func:`pred_probs_key`. A cache that
    cannot be written costs only the reuse next time: it gives a note, never a failure.

    >>> from cleanaudit.models.crossval import PredProbsResult
    >>> outcome = through_cache(lambda: PredProbsResult(np.eye(2), "logreg", 2, 0, "cross-validation"),
    ...                         None, folder=None)
    >>> outcome.result.model, outcome.record
    ('logreg', None)
    """
    if folder is None:
        return CacheOutcome(compute())
    key = pred_probs_key(dataset, **key_args)
    where = f"{folder / SUBFOLDER / key[:16]}…"
    cached = load_result(folder, key, num_examples=dataset.num_examples, num_classes=dataset.num_classes)
    if cached is not None:
        message = f"reused out-of-fold pred_probs cached by an earlier run ({where}), --no-cache to refit"
        return CacheOutcome(
            cached, {"hit": True, "key": key, "folder": str(folder)}, [Note("pred_probs_cache", message)]
        )
    result = compute()
    problem = store_result(folder, key, result)
    record = {"hit": False, "key": key, "folder": str(folder), "stored": problem is None}
    if problem is None:
        return CacheOutcome(result, record)
    message = (
        f"could not cache the pred_probs in {folder} ({problem}); the next run fits again "
        "(give a writable --cache-dir DIR, or --no-cache)"
    )
    return CacheOutcome(result, record, [Note("pred_probs_cache_failed", message)])


def through_request_cache(
    compute: Any,
    dataset: Dataset,
    request: Any,
    log: Any,
    *,
    spec: str,
    params: dict[str, Any],
    trusted: Any,
    extra: dict[str, Any] | None = None,
) -> CacheOutcome:
    """``compute()`` through the cache a command's request (a ``DataRequest``) asks for; notes added to ``log``.

    ``use_cache=False`` (``--no-cache``) turns it off and ``cache_dir`` (``--cache-dir``) moves it;
    the key is :func:`pred_probs_key` of the request's folds and seed, ``extra`` adding what else
    decides the pred_probs (e.g. ``{"task": "multilabel"}``).
    """
    outcome = through_cache(
        compute,
        dataset,
        folder=cache_folder(request.cache_dir) if request.use_cache else None,
        model=spec,
        model_params=params,
        trusted_modules=trusted,
        cv=request.cv,
        seed=request.seed,
        versions=library_versions(),
        extra=extra,
    )
    for note in outcome.notes:
        log.add(note)
    return outcome


def entry_paths(folder: Path, key: str) -> tuple[Path, Path]:
    """The ``.npy`` and ``.json`` files of entry ``key`` in ``folder``."""
    base = Path(folder) / SUBFOLDER / key
    return base.with_suffix(".npy"), base.with_suffix(".json")


def load_result(folder: Path, key: str, *, num_examples: int, num_classes: int) -> PredProbsResult | None:
    """The cached result for ``key``, or ``None`` when there is none usable (missing, damaged, other shape)."""
    from cleanaudit.models.crossval import PredProbsResult
    from cleanaudit.models.select import Candidate

    array_path, info_path = entry_paths(folder, key)
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        data = array_path.read_bytes()
        if info.get("format") != FORMAT or info.get("key") != key:
            return None
        if hashlib.sha256(data).hexdigest() != info.get("npy_sha256"):
            return None  # torn or damaged: never trust it
        pred_probs = np.load(io.BytesIO(data), allow_pickle=False)
        result = info["result"]
        candidates = [Candidate(**c) for c in result["candidates"]]
        shape_ok = pred_probs.shape == (num_examples, num_classes) and pred_probs.dtype == np.float64
        if not shape_ok or not np.isfinite(pred_probs).all():
            return None
        return PredProbsResult(
            np.ascontiguousarray(pred_probs),
            str(result["model"]),
            result["cv_folds"],
            result["seed"],
            str(result["source"]),
            candidates,
            [str(w) for w in result["warnings"]],
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError):
        return None


def store_result(folder: Path, key: str, result: PredProbsResult) -> str | None:
    """Write ``result`` as entry ``key`` (array first, then its description); ``None``, or why it failed."""
    from dataclasses import asdict

    from cleanaudit.data.write import atomic_write_bytes
    from cleanaudit.errors import CleanAuditError

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(result.pred_probs, dtype=np.float64), allow_pickle=False)
    data = buffer.getvalue()
    info = {
        "format": FORMAT,
        "key": key,
        "npy_sha256": hashlib.sha256(data).hexdigest(),
        "shape": list(result.pred_probs.shape),
        "result": {
            "model": result.model,
            "cv_folds": result.cv_folds,
            "seed": result.seed,
            "source": result.source,
            "candidates": [asdict(c) for c in result.candidates],  # inf/nan: JSON's Infinity/NaN
            "warnings": list(result.warnings),
        },
    }
    array_path, info_path = entry_paths(folder, key)
    try:
        atomic_write_bytes(array_path, data)
        atomic_write_bytes(info_path, json.dumps(info, indent=1).encode("utf-8"))
    except (OSError, CleanAuditError) as err:
        return getattr(err, "message", None) or str(err)
    return None


# --- helpers --------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """``value`` as JSON-able data (anything else by its repr), for the key."""
    return json.loads(_canonical(value)) if value is not None else None


def _array_digest(values: Any) -> str | None:
    if values is None:
        return None
    array = np.ascontiguousarray(np.asarray(values))
    if array.dtype == object:
        return hashlib.sha256(_canonical([repr(v) for v in array.tolist()]).encode()).hexdigest()
    return hashlib.sha256(f"{array.dtype.str}{array.shape}".encode() + array.tobytes()).hexdigest()


def _frame_digest(frame: Any) -> str | None:
    """A digest of a table's values and index; ``None`` when it cannot be hashed (e.g. list cells)."""
    import pandas as pd

    try:
        hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    except (TypeError, ValueError):
        try:  # unhashable cells (lists, arrays): by their text, slower but exact enough
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy()
        except (TypeError, ValueError):
            return None
    return _array_digest(hashed)


@functools.cache
def _code_digest() -> str:
    """A digest of the code that reads, encodes and fits (``data/``, ``models/``): a source checkout
    or a patched install changes the numbers without changing cleanaudit's version."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*(package / "data").glob("*.py"), *(package / "models").glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _model_package_version(spec: str) -> str | None:
    """For ``package.module:Class``, the installed version of its package (a new release may fit otherwise)."""
    if ":" not in spec:
        return None
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    top = spec.split(":", 1)[0].split(".", 1)[0]
    for dist in packages_distributions().get(top, [top]):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    return None
