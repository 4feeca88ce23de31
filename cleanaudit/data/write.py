"""Write outputs atomically and never over an input.

One file: a temp file in the same folder, then ``os.replace``. A folder of outputs that belong
together (``--out DIR``): a :class:`FolderSet`, built in a hidden folder beside DIR and moved into
place in one rename, so DIR holds the earlier complete set or the new one, never a mix. Several
files in different places (clean's table, manifest and model): a :class:`FileSet`, staged beside
each target and moved into place together. Whether a target can be written at all without
replacing an input is checked before any work by :mod:`cleanaudit.data.targets`.

Clean-up (removing a temp folder, putting an earlier set back) always runs to its end: a
``KeyboardInterrupt`` arriving meanwhile is held until it is done, then raised.
"""

from __future__ import annotations

import csv
import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from cleanaudit.data.targets import Input, check_folder_target, foreign_entries, real_path, same_file
from cleanaudit.errors import CleanAuditError, ConfigError, InputError


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
        raise ConfigError(
            f"cannot write a table to {path}: unknown suffix '{suffix}'", hint="name the output file .csv or .parquet"
        )
    with _atomic_target(path) as temp:
        if suffix == ".csv":
            # pandas leaves a value holding a lone \r unquoted, and readers then split its row: quote them all
            quoting = csv.QUOTE_NONNUMERIC if _holds_carriage_return(frame) else csv.QUOTE_MINIMAL
            frame.to_csv(temp, index=False, quoting=quoting)
        else:
            frame.to_parquet(temp, index=False)


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            try:
                if column.str.contains("\r", regex=False, na=False).any():
                    return True
            except AttributeError:  # no string values at all
                continue
    return False


def ensure_not_input(path: Path, inputs: Sequence[Path]) -> None:
    """Raise ``InputError`` when ``path`` is one of the ``inputs`` (same file, through any link).

    >>> ensure_not_input(Path("out/clean.csv"), [Path("data.csv")])
    """
    target = Path(path)
    for source in inputs:
        source = Path(source)
        if str(source) == "-":
            continue
        if same_file(target, source):
            raise InputError(
                f"refusing to write {target}: it is the input file {source}",
                hint="choose another output path (--out); inputs are never modified",
            )


# --- sets of files ------------------------------------------------------------------------


class FolderSet:
    """The files of folder ``target``, written as one.

    Opening checks the target (:func:`check_folder_target`) and makes a hidden temp folder beside
    it, ``path``; write the files there, then :meth:`commit` moves it into place in one rename
    (swapping with an earlier set, which is then removed). Leaving the ``with`` block without a
    commit removes the temp folder and any parent folder made for it.

    >>> with FolderSet(Path("report")) as staged:  # doctest: +SKIP
    ...     atomic_write_text(staged.path / "report.json", "{}")
    ...     staged.commit()
    """

    def __init__(
        self, target: Path, inputs: Sequence[Input] = (), *, option: str = "--out", own_names: Collection[str] = ()
    ) -> None:
        self.target = real_path(Path(target))
        self.shown = Path(target)
        self.inputs = list(inputs)
        self.option = option
        self.own_names = own_names
        self.path: Path = self.target  # the temp folder once opened
        self._opened = False
        self._made: list[Path] = []
        self._aside: Path | None = None  # the earlier set, while it is moved aside (no atomic swap)

    def __enter__(self) -> FolderSet:
        check_folder_target(self.shown, self.inputs, option=self.option, own_names=self.own_names)
        try:
            self._made = _make_parents(self.target.parent)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent))
        except OSError as err:
            _finish_all([lambda: _remove_made(self._made)])
            raise ConfigError(
                f"cannot write {self.option} {self.shown}: {err.strerror or err}",
                hint="check that the output folder is writable",
            ) from None
        self._opened = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._opened:
            self.discard()

    def commit(self) -> None:
        """Move the finished set into place: the earlier set (if any) is replaced in one step."""
        try:
            os.chmod(self.path, _folder_mode(self.target))
            try:
                os.rename(self.path, self.target)  # no earlier set, or an empty folder: one atomic step
            except OSError as err:
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                self._replace_earlier()
        except OSError as err:
            raise ConfigError(
                f"cannot write {self.option} {self.shown}: {err.strerror or err}",
                hint="check that the output folder is writable",
            ) from None
        self._made = []
        self.discard()  # removes the earlier set, now at the temp name

    def _replace_earlier(self) -> None:
        if foreign_entries(self.target, self.own_names):  # files appeared since the check: never delete them
            raise OSError(errno.ENOTEMPTY, "the folder now holds other files")
        if _exchange(self.path, self.target):
            return
        self._aside = aside = self.path.with_name(self.path.name + ".old")  # known before it exists
        os.rename(self.target, aside)
        os.rename(self.path, self.target)
        self.path, self._aside = aside, None

    def discard(self) -> None:
        """Remove the temp folder (and the earlier set, after a commit); put an earlier set back if moved aside."""

        def restore() -> None:
            if self._aside is not None and os.path.lexists(self._aside):
                if os.path.lexists(self.target):  # the new set made it into place: drop the earlier one
                    _remove_tree(self._aside)
                else:
                    os.rename(self._aside, self.target)
            self._aside = None

        _finish_all([restore, lambda: _remove_tree(self.path), lambda: _remove_made(self._made)])
        self._opened = False


class FileSet:
    """Files in several places committed together: each staged beside its target, moved into place by :meth:`commit`.

    >>> with FileSet() as files:  # doctest: +SKIP
    ...     files.write(Path("cleaned.csv"), lambda temp: write_frame(frame, temp))
    ...     files.commit()
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self._made: list[Path] = []

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()

    def write(self, path: Path, writer: Callable[[Path], None]) -> None:
        """Call ``writer(temp)`` with a temp path beside ``path`` (same suffix); errors name ``path``."""
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"cannot write {path}: it is a folder", hint="give a file name")
        try:
            self._made += _make_parents(path.parent)
        except OSError as err:
            raise ConfigError(
                f"cannot write {path}: {err.strerror or err}", hint="check that the output folder is writable"
            ) from None
        temp = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
        self._staged.append((temp, path))
        try:
            writer(temp)
        except CleanAuditError as err:  # name the file the user asked for, not the temp file
            raise type(err)(err.message.replace(str(temp), str(path)), hint=err.hint) from None

    def commit(self) -> None:
        """Move every staged file over its target (all of them, even if Ctrl-C arrives meanwhile)."""

        def move(temp: Path, path: Path) -> Callable[[], None]:
            return lambda: os.replace(temp, path) if os.path.lexists(temp) else None

        try:
            _finish_all([move(temp, path) for temp, path in self._staged])
        except OSError as err:
            raise ConfigError(
                f"cannot write {err.filename or 'the output'}: {err.strerror or err}",
                hint="check that the output folder is writable",
            ) from None
        self._staged, self._made = [], []

    def discard(self) -> None:
        """Remove the staged files not yet committed, and any folder made for them."""
        made = self._made
        _finish_all([*(lambda t=temp: _discard(t) for temp, _ in self._staged), lambda: _remove_made(made)])
        self._staged, self._made = [], []


# --- helpers --------------------------------------------------------------------------------


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
        _finish_all([lambda: _discard(temp)])
        raise ConfigError(
            f"cannot write {path}: {err.strerror or err}", hint="check that the output folder is writable"
        ) from None
    except BaseException:
        _finish_all([lambda: _discard(temp)])
        raise


def _finish_all(steps: Sequence[Callable[[], None]]) -> None:
    """Run each step to its end even if KeyboardInterrupt arrives meanwhile, then raise it.

    The steps must be repeatable."""
    interrupted = False
    for step in steps:
        while True:
            try:
                step()
                break
            except KeyboardInterrupt:
                interrupted = True
    if interrupted:
        raise KeyboardInterrupt


def _discard(temp: Path) -> None:
    try:
        temp.unlink(missing_ok=True)
    except OSError:  # e.g. its folder could not be created: nothing to clean up
        pass


def _remove_tree(path: Path) -> None:
    for _ in range(5):  # a worker process being stopped may still add a file: try again
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return


def _make_parents(folder: Path) -> list[Path]:
    """``mkdir -p folder``; returns the folders it made, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        made.append(path)
    return made


def _remove_made(made: list[Path]) -> None:
    while made:
        try:
            made[-1].rmdir()
        except OSError:  # no longer empty, or already gone
            pass
        made.pop()


def _folder_mode(target: Path) -> int:
    """The earlier folder's permissions, else those mkdir gives (0o777 less the umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o777 & ~mask


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
