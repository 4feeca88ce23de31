"""Write outputs atomically (temp file in the same folder, then ``os.replace``), never over an input."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from cleanaudit.errors import ConfigError, InputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never half.

    >>> atomic_write_bytes(Path("out/report.json"), b"{}")  # doctest: +SKIP
    """
    with _atomic_target(Path(path)) as temp:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666: the umask applies, as for open()
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text.

    >>> atomic_write_text(Path("out/report.md"), "# Audit\\n")  # doctest: +SKIP
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Atomically write a table as .csv or .parquet (by suffix), without the index.

    >>> write_frame(pd.DataFrame({"row": [0, 1]}), Path("out/issues.parquet"))  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ConfigError(f"cannot write a table to {path}: unknown suffix '{suffix}'",
                          hint="name the output file .csv or .parquet")
    with _atomic_target(path) as temp:
        if suffix == ".csv":
            frame.to_csv(temp, index=False)
        else:
            frame.to_parquet(temp, index=False)


def ensure_not_input(path: Path, inputs: Sequence[Path]) -> None:
    """Raise ``InputError`` when ``path`` is one of the ``inputs`` (same file, through any link).

    >>> ensure_not_input(Path("out/clean.csv"), [Path("data.csv")])
    """
    target = Path(path)
    for source in inputs:
        source = Path(source)
        if str(source) == "-":
            continue
        if _same_file(target, source):
            raise InputError(f"refusing to write {target}: it is the input file {source}",
                             hint="choose another output path (--out); inputs are never modified")


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


@contextmanager
def _atomic_target(path: Path) -> Iterator[Path]:
    """Yield a fresh temp path beside ``path``; on success move it over ``path``, else delete it."""
    if path.is_dir():
        raise ConfigError(f"cannot write {path}: it is a folder", hint="give a file name")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield temp
        os.replace(temp, path)
    except OSError as err:
        _discard(temp)
        raise ConfigError(f"cannot write {path}: {err.strerror or err}",
                          hint="check that the output folder is writable") from None
    except BaseException:
        _discard(temp)
        raise


def _discard(temp: Path) -> None:
    try:
        temp.unlink(missing_ok=True)
    except OSError:  # e.g. its folder could not be created: nothing to clean up
        pass
