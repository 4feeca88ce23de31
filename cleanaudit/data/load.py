"""Read tables (CSV, TSV, Parquet, stdin) and turn them into a ``Dataset``.

Everything here raises ``InputError`` with a one-line message naming the file or column;
nothing prints, nothing writes, and input files are only ever opened for reading.
"""

from __future__ import annotations

import glob
import hashlib
import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cleanaudit.data.columns import check_repeated_header
from cleanaudit.data.dataset import Dataset
from cleanaudit.data.frame import dataset_from_frame, encode_labels
from cleanaudit.errors import InputError
from cleanaudit.errors import name_list as _names
from cleanaudit.errors import one_line as _one_line

__all__ = ["read_table", "load_dataset", "expand_paths", "encode_labels", "dataset_from_frame"]

STDIN = "-"
CSV_SUFFIXES = (".csv", ".txt")
TSV_SUFFIXES = (".tsv", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
COMPRESSION_SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}
TABLE_SUFFIXES = CSV_SUFFIXES + TSV_SUFFIXES + PARQUET_SUFFIXES
_SUPPORTED = ".csv, .tsv, .txt, .parquet, .pq (CSV/TSV may be .gz/.bz2/.xz/.zst)"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one CSV/TSV/Parquet table, or CSV from stdin when ``path`` is ``"-"``.

    >>> read_table("sample_data/tutorial/train.csv").shape
    (250, 4)
    """
    return _read_table_and_digest(path)[0]


def load_dataset(
    paths: Sequence[str | Path],
    *,
    label: str,
    features: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    id_column: str | None = None,
    on_missing_label: str = "skip",
    task: str = "multiclass",
    label_sep: str = ",",
) -> Dataset:
    """Load one or more tables (same columns) into a ``Dataset``.

    Features are every column except the label, the id column and ``ignore``d ones, unless
    ``features`` lists them. Class names are the sorted label values; labels are their codes.
    Rows with no label are left out with a note (``on_missing_label="error"``: refused).

    >>> ds = load_dataset(["sample_data/tutorial/train.csv"], label="y", ignore=["y_int"])
    >>> ds.class_names, list(ds.features.columns), ds.num_examples
    (['blue', 'purple', 'seafoam green', 'yellow'], ['x1', 'x2'], 250)
    """
    frame, where, read, sha256 = read_tables(paths)
    return dataset_from_frame(
        frame,
        label=label,
        features=features,
        ignore=ignore,
        id_column=id_column,
        where=where,
        paths=read,
        sha256=sha256,
        on_missing_label=on_missing_label,
        task=task,
        label_sep=label_sep,
    )


def read_tables(paths: Sequence[str | Path]) -> tuple[pd.DataFrame, str, list[Path | str], str]:
    """One or more tables (same columns) as one frame, its name in messages, the paths and their SHA-256."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input files given", hint="pass at least one CSV or Parquet file")
    names = [_display(p) for p in paths]  # a URL stays text (s3://...): Path would fold its "//"
    if len(set(names)) < len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"input {dup} is given more than once", hint="pass each file once")
    tables, digests = [], []
    for path in paths:
        table, digest = _read_table_and_digest(path)
        tables.append(table)
        digests.append(digest)
    where = names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1} more)"
    read = [str(p) if is_url(str(p)) else Path(p) for p in paths]  # URLs stay text: s3://b/k
    return _concat(tables, names), where, read, digests[0] if len(digests) == 1 else _combine_digests(digests)


def expand_paths(paths: Sequence[str | Path], *, recursive: bool = False) -> list[Path | str]:
    """Expand folders (their tables, sorted) and glob patterns into a list of files.

    Plain files and ``-`` pass through unchanged; fsspec URLs stay text (``s3://b/k.parquet``),
    a URL folder or pattern is listed through fsspec. A pattern or folder matching nothing
    raises ``InputError``. With ``recursive``, folders are searched at every depth (and ``**``
    in a pattern matches any depth).

    >>> expand_paths(["sample_data/tutorial/*.parquet"])  # doctest: +SKIP
    [PosixPath('sample_data/tutorial/test.parquet'), PosixPath('sample_data/tutorial/train.parquet')]
    """
    expanded: list[Path | str] = []
    for raw in paths:
        text = str(raw)
        if is_url(text):
            expanded.extend(_expand_url(text, recursive))
            continue
        path = Path(text)
        if text == STDIN or path.is_file():
            expanded.append(path)
        elif path.is_dir():
            candidates = path.rglob("*") if recursive else path.iterdir()
            found = sorted(p for p in candidates if p.is_file() and _is_table_name(p))
            if not found:
                raise InputError(f"folder {text} holds no tables", hint=f"put files ending in {_SUPPORTED} there")
            expanded.extend(found)
        elif glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text, recursive=recursive) if Path(p).is_file())
            if not found:
                raise InputError(f"pattern {text} matches no files", hint="check the pattern and the current folder")
            expanded.extend(found)
        else:
            expanded.append(path)  # read_table reports it as missing
    return expanded


def _expand_url(url: str, recursive: bool) -> list[Path | str]:
    """A URL as it is (one table), or the tables of a URL folder or pattern, listed through fsspec."""
    scheme = url.split("://", 1)[0]
    if not glob.has_magic(url) and _kind_of(Path(url.split("://", 1)[1]))[0] is not None:
        return [url]  # names a table: read_table reports it if it is missing
    fs, where = url_filesystem(url)
    try:
        if glob.has_magic(where):
            listed = fs.glob(where, recursive=recursive) if recursive else fs.glob(where)  # type: ignore[attr-defined]
        elif fs.isdir(where):  # type: ignore[attr-defined]
            listed = fs.find(where) if recursive else fs.ls(where, detail=False)  # type: ignore[attr-defined]
        else:
            return [url]
    except OSError as err:
        raise InputError(f"cannot list {url}: {_one_line(err)}", hint="check the URL and your access to it") from None
    found = sorted(str(p) for p in listed if _is_table_name(Path(str(p))))
    if not found:
        raise InputError(f"{url} holds no tables", hint=f"put files ending in {_SUPPORTED} there")
    return [p if is_url(p) else f"{scheme}://{p.lstrip('/') if scheme != 'file' else p}" for p in found]


# --- reading ----------------------------------------------------------------------------


def _read_table_and_digest(path: str | Path) -> tuple[pd.DataFrame, str]:
    """The table and the SHA-256 hex digest of the bytes it was read from."""
    text = str(path)
    if text == STDIN:
        return _read_stdin()
    if is_url(text):
        return _read_url(text)
    path = Path(text)
    if not path.exists():
        raise InputError(f"file {text} not found", hint="check the path (it is relative to the current folder)")
    if path.is_dir():
        raise InputError(f"{text} is a folder, not a table", hint=f"pass the files inside it (e.g. {text}/*.csv)")
    kind, compression = _kind_of(path)
    if kind is None:
        raise InputError(f"cannot tell the format of {text} from its name", hint=f"use one of: {_SUPPORTED}")
    try:
        if path.stat().st_size == 0:
            raise InputError(f"file {text} is empty", hint="pass a table with a header row and data rows")
        with path.open("rb") as handle:
            digest, lone_cr = _digest_and_scan(handle)
    except OSError as err:
        raise InputError(
            f"cannot read {text}: {_one_line(err.strerror or err)}", hint="check the file's permissions"
        ) from None
    if lone_cr and kind != "parquet" and compression is None:
        return _parse(io.BytesIO(path.read_bytes()), kind, None, text, lone_cr=True), digest
    return _parse(path, kind, compression, text), digest


def is_url(text: str | Path) -> bool:
    """Whether ``text`` is an fsspec URL (``s3://bucket/key``, ``file:///abs``), not a local path.

    >>> is_url("s3://bucket/data.parquet"), is_url("data/train.csv"), is_url(Path("s3:/b"))
    (True, False, False)
    """
    return isinstance(text, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) is not None


def url_filesystem(url: str) -> tuple[object, str]:
    """The fsspec filesystem and path of ``url``; one line (exit 2) when fsspec or the scheme's package is missing."""
    scheme = url.split("://", 1)[0].lower()
    try:
        from fsspec.core import url_to_fs

        return url_to_fs(url)
    except ImportError as err:
        package = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs"}
        wanted = package.get(scheme, "fsspec" if "fsspec" in str(err) else f"the fsspec package for {scheme}://")
        raise InputError(
            f"cannot read {url}: reading {scheme}:// URLs needs {wanted}, which is not installed",
            hint=f"pip install {wanted}" if " " not in wanted else "install fsspec and the package for that scheme",
        ) from None
    except ValueError as err:  # an unknown protocol
        raise InputError(f"cannot read {url}: {_one_line(err)}", hint="give a local path or an fsspec URL") from None


def _read_url(url: str) -> tuple[pd.DataFrame, str]:
    """A table at an fsspec URL, read through fsspec (its bytes digested as a local file's)."""
    fs, where = url_filesystem(url)
    kind, compression = _kind_of(Path(where))
    if kind is None:
        raise InputError(f"cannot tell the format of {url} from its name", hint=f"use one of: {_SUPPORTED}")
    try:
        if not fs.exists(where):  # type: ignore[attr-defined]
            raise InputError(f"file {url} not found", hint="check the URL and your access to it")
        with fs.open(where, "rb") as handle:  # type: ignore[attr-defined]
            data = handle.read()
    except InputError:
        raise
    except Exception as err:  # fsspec backends raise their own types (PermissionError, ClientError, ...)
        raise InputError(f"cannot read {url}: {_one_line(err)}", hint="check the URL and your access to it") from None
    if not data:
        raise InputError(f"file {url} is empty", hint="pass a table with a header row and data rows")
    digest = hashlib.sha256(data).hexdigest()
    lone_cr = kind != "parquet" and compression is None and _count_lone_cr(data, ended_with_cr=False)[0] > 0
    return _parse(io.BytesIO(data), kind, compression, url, lone_cr=lone_cr and b"\n" in data), digest


def _read_stdin() -> tuple[pd.DataFrame, str]:
    stream = sys.stdin
    if stream is None or (hasattr(stream, "isatty") and stream.isatty()):
        raise InputError(
            "no data on stdin for input '-'", hint="pipe a CSV into the command, e.g. cat data.csv | cleanaudit ..."
        )
    buffer = getattr(stream, "buffer", None)
    data = buffer.read() if buffer is not None else stream.read().encode()
    if not data.strip():
        raise InputError("stdin (input '-') is empty", hint="pipe a CSV with a header row and data rows")
    lone_cr = _count_lone_cr(data, ended_with_cr=False)[0] > 0 and b"\n" in data
    return _parse(io.BytesIO(data), "csv", None, "stdin", lone_cr=lone_cr), hashlib.sha256(data).hexdigest()


def read_csv_source(source: Path | io.BytesIO, **options: object) -> pd.DataFrame:
    r"""``pd.read_csv(source, **options)`` that keeps a stray carriage return inside a value.

    pandas' own ``to_csv`` (and ``csv.writer`` with ``lineterminator="\n"``) leave a value holding
    a lone ``\r`` unquoted, and every pandas engine (C, python, pyarrow) then takes that ``\r``
    for a line end: the row splits in two and the label after it goes missing. In a file whose
    lines end in ``\n`` (or ``\r\n``) a lone ``\r`` is data, so it is read as data here.

    >>> read_csv_source(io.BytesIO(b"text,y\nhello\rworld,a\nbye,b\n")).to_dict("list")
    {'text': ['hello\rworld', 'bye'], 'y': ['a', 'b']}
    """
    if isinstance(source, io.BytesIO):
        data = source.getvalue()
    elif options.get("compression") is None:
        data = Path(source).read_bytes()
    else:
        return pd.read_csv(source, **options)
    if b"\n" not in data or _count_lone_cr(data, ended_with_cr=False)[0] == 0:
        return pd.read_csv(io.BytesIO(data), **options)
    return _read_keeping_lone_cr(data, options)


def _parse(
    source: Path | io.BytesIO, kind: str, compression: str | None, name: str, *, lone_cr: bool = False
) -> pd.DataFrame:
    try:
        if kind == "parquet":
            table = pd.read_parquet(source)
        else:
            sep = "\t" if kind == "tsv" else ","
            options: dict[str, object] = {"sep": sep, "compression": compression, "low_memory": False}
            if lone_cr and isinstance(source, io.BytesIO):
                table = _read_keeping_lone_cr(source.getvalue(), options)
            else:
                table = pd.read_csv(source, **options)
            check_repeated_header(table, source, sep=sep, compression=compression, name=name)
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} holds no columns", hint="pass a table with a header row and data rows") from None
    except MemoryError:
        raise
    except Exception as err:  # parsers raise many types (ParserError, ArrowInvalid, UnicodeDecodeError, ...)
        raise InputError(
            f"cannot parse {name} as {kind.upper()}: {_one_line(err)}",
            hint="check that the file is a valid, uncorrupted " + kind.upper() + " file",
        ) from None
    if table.shape[1] == 0:
        raise InputError(f"{name} holds no columns", hint="pass a table with a header row and data rows")
    if table.shape[0] == 0:
        raise InputError(f"{name} has a header but no rows", hint="pass a table with at least one data row")
    return table


# A lone \r (not before \n) is replaced by a character the file does not hold, parsed, and put back.
_CR_STAND_INS = ("\ue000", "\ue001", "\ue002", "\U000f0000", "\U000f0001")
_LONE_CR = re.compile(rb"\r(?!\n)")
_SCAN_CHUNK = 1 << 20


def _digest_and_scan(handle: io.BufferedIOBase) -> tuple[str, bool]:
    r"""SHA-256 hex digest of the bytes, and whether they hold a lone \r in a file of \n-ended lines."""
    digest = hashlib.sha256()
    lone, has_lf, ended_with_cr = 0, False, False
    while chunk := handle.read(_SCAN_CHUNK):
        digest.update(chunk)
        if b"\r" in chunk or ended_with_cr:
            found, ended_with_cr = _count_lone_cr(chunk, ended_with_cr=ended_with_cr)
            lone += found
        has_lf = has_lf or b"\n" in chunk
    return digest.hexdigest(), bool(lone - ended_with_cr > 0 and has_lf)  # a final \r ends the last line


def _count_lone_cr(chunk: bytes, *, ended_with_cr: bool) -> tuple[int, bool]:
    r"""Lone \r in ``chunk`` (a \r ending it counts; it is taken back when the next chunk starts with \n)."""
    found = chunk.count(b"\r") - chunk.count(b"\r\n")
    if ended_with_cr and chunk.startswith(b"\n"):
        found -= 1
    return found, chunk.endswith(b"\r")


def _read_keeping_lone_cr(data: bytes, options: dict[str, object]) -> pd.DataFrame:
    stand_in = next((c for c in _CR_STAND_INS if c.encode() not in data), None)
    if stand_in is None:  # pragma: no cover - a file holding every stand-in
        return pd.read_csv(io.BytesIO(data), **options)
    table = pd.read_csv(io.BytesIO(_LONE_CR.sub(stand_in.encode(), data)), **options)
    table.columns = [c.replace(stand_in, "\r") if isinstance(c, str) else c for c in table.columns]
    for name in table.columns:
        column = table[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            held = column.map(lambda v: isinstance(v, str) and stand_in in v)
            if held.any():
                table[name] = column.where(~held, column[held].str.replace(stand_in, "\r", regex=False))
    return table


def _kind_of(path: Path) -> tuple[str | None, str | None]:
    """('csv' | 'tsv' | 'parquet' | None, compression) from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSION_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in CSV_SUFFIXES:
        return "csv", compression
    if suffix in TSV_SUFFIXES:
        return "tsv", compression
    if suffix in PARQUET_SUFFIXES and compression is None:
        return "parquet", None
    return None, None


def _is_table_name(path: Path) -> bool:
    return _kind_of(path)[0] is not None


def _concat(tables: list[pd.DataFrame], names: list[str]) -> pd.DataFrame:
    if len(tables) == 1:
        return tables[0]
    first = list(tables[0].columns)
    aligned = [tables[0]]
    for table, name in zip(tables[1:], names[1:]):
        columns = list(table.columns)
        if set(columns) != set(first) or len(columns) != len(first):
            missing = [c for c in first if c not in columns]
            extra = [c for c in columns if c not in first]
            raise InputError(
                f"{name} has different columns from {names[0]} (missing: {_names(missing)}; extra: {_names(extra)})",
                hint="all input files must have the same columns",
            )
        aligned.append(table[first])
    return pd.concat(aligned, ignore_index=True)


def _combine_digests(digests: list[str]) -> str:
    """One digest for several files: SHA-256 of their digests' bytes, in input order."""
    return hashlib.sha256(b"".join(bytes.fromhex(d) for d in digests)).hexdigest()


# --- formatting -------------------------------------------------------------------------


def _display(path: str | Path) -> str:
    return "stdin" if str(path) == STDIN else str(path)
