"""Checks before any work: can an output be written there without replacing an input?

:func:`check_folder_target` (``--out DIR``, written as a whole by
:class:`cleanaudit.data.write.FolderSet`) and :func:`check_file_target` (one file) raise
``InputError`` or ``ConfigError`` with one line naming both paths. They only look (and probe with
a temp entry they remove at once): nothing is left behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

from cleanaudit.errors import ConfigError, InputError

# An input of the run, described for messages: ("DATA", path), ("--baseline", path), ...
Input = tuple[str, Path]
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})  # added by file browsers; replaced with the set
PART_FILE = re.compile(r"part-\d{5,}\.parquet")  # a table run's per-row results, one file per partition


def check_folder_target(
    target: Path, inputs: Sequence[Input] = (), *, option: str = "--out", own_names: Collection[str] = ()
) -> None:
    """Raise unless folder ``target`` can be (re)written as a whole without touching an input.

    ``target`` must not be a file, hold an input, or lie inside an input folder; if it exists it
    may hold only ``own_names`` (files, or subfolders of such files: an earlier set) and is then
    replaced as a whole. Its parent must be a folder (or creatable) where we may create one.

    >>> check_folder_target(Path("report"), [("DATA", Path("data.csv"))])  # doctest: +SKIP
    """
    target = Path(target)
    real = real_path(target)
    _refuse_inputs(
        target, inputs, option, hint="give a new folder for the reports", outside="write the reports", folder=True
    )
    if target.exists() and not target.is_dir():
        raise InputError(f"{option} {target} is a file", hint="give a folder to write the reports into")
    if target.is_dir():
        if is_within(real_path(Path.cwd()), real):
            raise ConfigError(
                f"{option} {target} is the working folder (or holds it), which would be replaced",
                hint="give a folder to create, e.g. report/",
            )
        foreign = foreign_entries(target, own_names)
        if foreign:
            raise ConfigError(
                f"{option} {target} already holds files that are not from a cleanaudit report "
                f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''})",
                hint="give a new or empty folder, or the folder of an earlier report (it is replaced as a whole)",
            )
        if not os.access(target, os.W_OK | os.X_OK):
            raise ConfigError(
                f"cannot replace {option} {target}: the folder is read-only",
                hint="choose another folder or make it writable",
            )
    _probe(real.parent, f"{option} {target}", folder=True)


def check_file_target(target: Path, inputs: Sequence[Input] = (), *, option: str) -> None:
    """Raise unless file ``target`` can be written: not a folder, not an input, in a writable place.

    >>> check_file_target(Path("cleaned.csv"), [("DATA", Path("data.csv"))], option="--output")  # doctest: +SKIP
    """
    target = Path(target)
    _refuse_inputs(target, inputs, option, hint="choose another path", outside="choose a path", folder=False)
    if target.is_dir():
        raise ConfigError(f"{option} {target} is a folder", hint="give a file name")
    _probe(real_path(target).parent, f"{option} {target}", folder=False)


def foreign_entries(folder: Path, own_names: Collection[str]) -> list[str]:
    """Entries of ``folder`` that are not ``own_names`` (nor subfolders holding only those), sorted."""
    allowed = set(own_names) | SYSTEM_FILES
    foreign = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
            foreign.append(entry.name)
        elif entry.is_dir():
            inner = [
                p
                for p in entry.iterdir()
                if p.is_symlink() or not p.is_file() or not (p.name in allowed or PART_FILE.fullmatch(p.name))
            ]
            if inner:
                foreign.append(f"{entry.name}/{sorted(inner)[0].name}")
        elif entry.name not in allowed:
            foreign.append(entry.name)
    return foreign


def _refuse_inputs(
    target: Path, inputs: Sequence[Input], option: str, *, hint: str, outside: str, folder: bool
) -> None:
    """Raise when ``target`` is an input, lies inside an input folder, or (a folder) holds an input."""
    real = real_path(target)
    for label, source in inputs:
        if str(source) == "-":
            continue
        if same_file(target, source):
            raise InputError(
                f"{option} {target} is {_describe(label, source)}", hint=f"{hint}; inputs are never modified"
            )
        if folder and is_within(real_path(source), real):
            raise InputError(
                f"{option} {target} would replace {_describe(label, source)}, which is inside it",
                hint=f"{hint}; inputs are never modified",
            )
        if Path(source).is_dir() and is_within(real, real_path(source)):
            raise InputError(
                f"{option} {target} is inside {_describe(label, source)}",
                hint=f"{outside} outside that folder; inputs are never modified",
            )


def _describe(label: str, source: Path) -> str:
    kind = "folder" if Path(source).is_dir() else "file"
    return f"the input {kind} {source}" if label == "DATA" else f"the {label} {kind} {source}"


def _probe(parent: Path, what: str, *, folder: bool) -> None:
    """Check that we may create a file or folder in ``parent`` (or the nearest folder above it that exists)."""
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"cannot write {what}: {existing} is a file, not a folder",
            hint="give a path whose parent folders are folders",
        )
    try:  # a real probe: permission bits say nothing to root, nor about a read-only mount
        made = tempfile.mkdtemp(prefix=".cleanaudit-probe-", dir=existing) if folder else None
        if made is not None:
            os.rmdir(made)
        else:
            fd, name = tempfile.mkstemp(prefix=".cleanaudit-probe-", dir=existing)
            os.close(fd)
            os.unlink(name)
    except OSError as err:
        raise ConfigError(
            f"cannot write {what}: {err.strerror or err} ({existing})",
            hint="choose a writable place or make the folder writable",
        ) from None


def real_path(path: Path) -> Path:
    """``path`` absolute, with every symlink resolved (also for a path that does not exist yet)."""
    return Path(os.path.realpath(path))


def is_within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or inside it (compare real paths).

    >>> is_within(Path("/a/b/c"), Path("/a")), is_within(Path("/ab"), Path("/a"))
    (True, False)
    """
    return path == folder or folder in path.parents


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (through any link), or would once created."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()
