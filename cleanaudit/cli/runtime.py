"""What every data command does around its own work: load, get pred_probs, report.

``prepare`` loads the dataset and obtains pred_probs (from ``--pred-probs`` or by
cross-validation, with progress on stderr); ``emit`` prints the result in the chosen format and
writes ``--out`` files.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
from rich.console import Console
from rich.table import Table

from cleanaudit.cli.options import DataOptions, OutputFormat, split_columns
from cleanaudit.errors import ConfigError, InputError
from cleanaudit.io.dataset import Dataset
from cleanaudit.report.envelope import build_envelope, library_versions, to_json
from cleanaudit.report.tables import TableData, format_cell


def stdout_console() -> Console:
    # Built per call: CliRunner swaps sys.stdout for each invocation.
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False)


class Notes:
    """Diagnostics on stderr (notes, progress), silenced by ``--quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.console = stderr_console()

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(f"[dim]{message}[/dim]", markup=True, highlight=False)

    @contextmanager
    def progress(self) -> Iterator[Optional[Callable[[str, int, int], None]]]:
        """A ``progress(description, completed, total)`` callback: a bar on a terminal, else nothing."""
        if self.quiet or not self.console.is_terminal:
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        tasks: dict[str, Any] = {}
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=self.console, transient=True) as bar:
            def update(description: str, completed: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = bar.add_task(description, total=total)
                bar.update(tasks[description], completed=completed, total=total)

            yield update


@dataclass
class Prepared:
    """A loaded dataset, its pred_probs, and how they were obtained."""

    dataset: Dataset
    pred_probs: np.ndarray
    run: dict[str, Any]
    started: float
    notes: Notes


def prepare(opts: DataOptions) -> Prepared:
    """Load the data named on the command line and obtain out-of-sample pred_probs."""
    from cleanaudit.io.load import load_dataset

    started = time.perf_counter()
    notes = Notes(opts.quiet)
    if not opts.label:
        raise ConfigError("missing option '--label'", hint="name the column holding the class labels, e.g. --label y")
    dataset = load_dataset(
        opts.data,
        label=opts.label,
        features=split_columns(opts.features),
        ignore=split_columns(opts.ignore),
        id_column=opts.id_column,
    )
    if opts.pred_probs is not None:
        from cleanaudit.io.pred_probs import read_pred_probs

        pred_probs = read_pred_probs(opts.pred_probs, class_names=dataset.class_names,
                                     num_examples=dataset.num_examples)
        run = {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": str(opts.pred_probs)}
    else:
        pred_probs, run = _cross_validate(dataset, opts, notes)
    run["versions"] = library_versions()
    return Prepared(dataset, pred_probs, run, started, notes)


def _cross_validate(dataset: Dataset, opts: DataOptions, notes: Notes) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanaudit.features import missing_value_summary
    from cleanaudit.models import parse_model_params
    from cleanaudit.predict import cross_val_pred_probs

    if dataset.features.shape[1] == 0:
        raise InputError(
            f"no feature columns left in {_describe_paths(dataset)} to train a model on",
            hint="pass --features, or give out-of-sample probabilities with --pred-probs FILE",
        )
    missing = missing_value_summary(dataset.features)
    if missing:
        columns = ", ".join(f"{c} ({n})" for c, n in missing.items())
        notes.note(f"note: imputing missing feature values in {columns}: median for numbers, most frequent "
                   "for categories")
    params = parse_model_params(opts.model_param or [])
    with notes.progress() as progress:
        result = cross_val_pred_probs(dataset.features, dataset.labels, model=opts.model, model_params=params,
                                      cv=opts.cv, seed=opts.seed, jobs=opts.jobs, progress=progress,
                                      class_names=dataset.class_names)
    for warning in result.warnings:
        notes.note(f"model warning: {warning}")
    if result.candidates:
        _show_candidates(notes, result)
    run = {
        "model": result.model,
        "cv_folds": result.cv_folds,
        "seed": result.seed,
        "pred_probs_source": result.source,
    }
    if result.candidates:
        run["model_candidates"] = [
            {"model": c.name, "log_loss": c.log_loss, "accuracy": c.accuracy, "seconds": c.seconds,
             "error": c.error}
            for c in result.candidates
        ]
    return result.pred_probs, run


def _show_candidates(notes: Notes, result: Any) -> None:
    if notes.quiet:
        return
    table = Table(title="--model auto: out-of-fold scores against the given labels", title_justify="left")
    for column in ("model", "log loss", "accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    chosen = result.model.split(":", 1)[-1]
    for c in sorted(result.candidates, key=lambda c: c.log_loss):
        mark = " (chosen)" if c.name == chosen else ""
        if c.error:
            table.add_row(c.name, "failed", "-", f"{c.seconds:.1f}")
            continue
        table.add_row(c.name + mark, f"{c.log_loss:.4f}", f"{c.accuracy:.4f}", f"{c.seconds:.1f}")
    notes.console.print(table)


def _describe_paths(dataset: Dataset) -> str:
    return ", ".join(str(p) for p in dataset.paths) or "the data"


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    """The ``dataset`` object of the JSON contract."""
    paths = [str(p) for p in dataset.paths]
    return {
        "path": paths[0] if len(paths) == 1 else paths,
        "sha256": dataset.sha256,
        "num_examples": dataset.num_examples,
        "num_classes": dataset.num_classes,
        "class_names": [_plain(c) for c in dataset.class_names],
        "label_column": dataset.label_column,
        "id_column": dataset.id_column,
    }


def emit(
    command: str,
    prepared: Prepared,
    opts: DataOptions,
    *,
    payload: dict[str, Any],
    tables: list[TableData],
    per_row: Optional[dict[str, Any]] = None,
    extra_files: Optional[Callable[[dict[str, Any]], dict[str, str]]] = None,
) -> None:
    """Print the result on stdout in ``opts.format`` and write ``--out`` files.

    ``extra_files(envelope)`` returns more files for ``--out`` (name -> text); it is called only
    when ``--out`` is given, so costly renderings (plots) are skipped otherwise.
    """
    run = dict(prepared.run, seconds=round(time.perf_counter() - prepared.started, 3))
    envelope = build_envelope(command, dataset=dataset_record(prepared.dataset), run=run, payload=payload)
    if opts.out is not None:
        _write_out_dir(opts.out, envelope, prepared, per_row, extra_files)
    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(envelope))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(tables[0].to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(markdown_report(command, prepared.dataset, tables))
    else:
        _print_tables(prepared.dataset, tables)


def _headline(dataset: Dataset) -> str:
    names = ", ".join(str(c) for c in dataset.class_names)
    return f"{_describe_paths(dataset)}: {dataset.num_examples} rows, {dataset.num_classes} classes ({names})"


def markdown_report(command: str, dataset: Dataset, tables: list[TableData]) -> str:
    """The Markdown form of a command's tables (stdout with --format markdown; report.md)."""
    parts = [f"## cleanaudit {command}", "", _headline(dataset)]
    parts += ["\n" + t.to_markdown() for t in tables]
    return "\n".join(parts) + "\n"


def _print_tables(dataset: Dataset, tables: list[TableData]) -> None:
    console = stdout_console()
    console.print(_headline(dataset), markup=False)
    for data in tables:
        table = Table(title=data.title, caption=data.caption or None, title_justify="left", caption_justify="left")
        for column in data.columns:
            numeric = bool(data.rows) and isinstance(data.rows[0][data.columns.index(column)], (int, float))
            table.add_column(column, justify="right" if numeric else "left")
        for position, row in enumerate(data.rows):
            table.add_row(*(format_cell(v) for v in row), style="dim" if position in data.dim_rows else None)
        console.print()
        console.print(table)
        for note in data.notes:
            console.print(note, markup=False)


def _write_out_dir(
    out: Path,
    envelope: dict[str, Any],
    prepared: Prepared,
    per_row: Optional[dict[str, Any]],
    extra_files: Optional[Callable[[dict[str, Any]], dict[str, str]]],
) -> None:
    import pandas as pd

    from cleanaudit.io.write import atomic_write_text, ensure_not_input, write_frame

    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file", hint="give a folder to write the reports into")
    out.mkdir(parents=True, exist_ok=True)
    inputs = list(prepared.dataset.paths)
    targets = {"report.json": out / "report.json"}
    if per_row is not None:
        targets.update({"issues.parquet": out / "issues.parquet", "issues.csv": out / "issues.csv"})
    extras = extra_files(envelope) if extra_files is not None else {}
    targets.update({name: out / name for name in extras})
    for path in targets.values():
        ensure_not_input(path, inputs)
    for name, text in extras.items():
        atomic_write_text(targets[name], text)
    if per_row is not None:
        dataset = prepared.dataset
        frame = pd.DataFrame({"row": np.arange(dataset.num_examples), "id": dataset.row_ids, **per_row})
        write_frame(frame, targets["issues.parquet"])
        write_frame(frame, targets["issues.csv"])
        envelope["rows_file"] = str(targets["issues.parquet"])
    atomic_write_text(targets["report.json"], to_json(envelope))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
